import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../errors.ts';

/** The error shape of every non-2xx response, for OpenAPI. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error: a code, a message that says what to do, and details (e.g. the failing field).' },
);

export interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function firstOf(v: unknown): string | undefined {
  return Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined);
}

/**
 * Turns a schema validation issue (TypeBox or Ajv) into the failing field's dotted name
 * ("body.config.url") and a short message, naming missing and unknown properties too.
 */
export function describeIssue(context: string, issue: ValidationIssue): { field: string; message: string } {
  const parts = (issue.instancePath ?? '').split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = issue.params ?? {};
  const named = firstOf(params.missingProperty ?? params.requiredProperties ?? params.additionalProperty ?? params.additionalProperties);
  if (named) parts.push(String(named));
  const field = [context, ...parts].join('.');
  if (issue.keyword === 'required') return { field, message: 'is required' };
  // TypeBox reports an unknown property as "schema is false" at its path, then additionalProperties.
  if (issue.keyword === 'additionalProperties' || (issue.keyword === 'boolean' && issue.message === 'schema is false')) {
    return { field, message: 'is not a known field' };
  }
  return { field, message: issue.message ?? 'is invalid' };
}

export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) {
    return reply.status(error.status).send({ error: { code: error.code, message: error.message, details: error.details } });
  }
  const fe = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const problems = fe.validation.slice(0, 10).map((i) => describeIssue(fe.validationContext ?? 'body', i));
    const { field, message } = problems[0];
    return reply.status(400).send({ error: { code: 'invalid_request', message: `${field}: ${message}`, details: { field, problems } } });
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, wrong content type, body too large …
    const message = fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'the request body is too large' : fe.message;
    return reply.status(status).send({ error: { code: fe.code ? fe.code.toLowerCase() : 'invalid_request', message } });
  }
  request.log.error({ err: { message: error.message, stack: error.stack, code: fe.code } }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'internal', message: 'an internal error occurred; it has been logged' } });
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
}
