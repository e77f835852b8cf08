/**
 * The one error shape of the API: {"error": {"code", "message", "details"}}.
 * Modules throw these; the HTTP layer turns them into responses. Anything else is a 500 (a bug).
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError(400, 'invalid_request', message, details);
/** A 400 that names the failing field, as validation errors do. */
export const invalidField = (field: string, message: string) =>
  new AppError(400, 'invalid_request', `${field}: ${message}`, { field });
export const unauthorized = (message = 'sign in or send a valid API token') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'your roles do not allow this') => new AppError(403, 'forbidden', message);
export const notFound = (what = 'object') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, details?: unknown) => new AppError(409, 'conflict', message, details);
export const unprocessable = (message: string, details?: unknown) => new AppError(422, 'upstream_refused', message, details);
export const tooManyRequests = (message: string) => new AppError(429, 'too_many_requests', message);
