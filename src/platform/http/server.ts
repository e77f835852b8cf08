import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { TypeBoxValidatorCompiler, registerAjvFormats, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import client from 'prom-client';
import type { Logger } from '../log/index.ts';
import { ErrorResponse, errorHandler, notFoundHandler } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without authentication (sign-in, health, docs). */
    public?: boolean;
  }
}

export type HttpServer = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>;
export type RouteListener = (route: RouteOptions & { routePath: string; path: string; prefix: string }) => void;

export interface HttpServerOptions {
  logger: Logger;
  version: string;
  /** Readiness probe: throws when a dependency (the database) is not usable. */
  ready: () => Promise<void>;
  bodyLimit?: number;
  /** Called for every route as it is registered (tests enumerate the routes with it). */
  onRoute?: RouteListener;
}

registerAjvFormats();

/**
 * The Fastify instance with what every module shares: schema validation (TypeBox), the one
 * error shape, OpenAPI at /api/docs, health, readiness and Prometheus metrics.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 8 * 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpServer;
  if (options.onRoute) app.addHook('onRoute', options.onRoute);

  // A body declared Type.Optional may be left out entirely (`curl -X POST …/approve`): it is then
  // taken as `{}`, which the schema still checks. (Fastify copies schemas without TypeBox's
  // non-enumerable '~optional' mark, so it is read here, when the route is added.)
  app.addHook('onRoute', (route) => {
    if ((route.schema?.body as { '~optional'?: boolean } | undefined)?.['~optional'] !== true) return;
    const own = route.preValidation ? [route.preValidation].flat() : [];
    route.preValidation = [async (request) => void (request.body ??= {}), ...own] as typeof route.preValidation;
  });
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addSchema(ErrorResponse);

  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'xdrhub_' });
  const httpDuration = new client.Histogram({
    name: 'xdrhub_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.decorate('metricsRegistry', registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'xdrhub API', version: options.version, description: 'Multi-tenant XDR integration and response hub. Every error has the shape {"error": {"code", "message", "details"}}.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'xdrhub_session', description: 'Console session; unsafe methods also need the X-CSRF-Token header (value of the xdrhub_csrf cookie).' },
          token: { type: 'http', scheme: 'bearer', description: 'Personal API token (xdrh_…).' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await options.ready();
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).send({ error: { code: 'not_ready', message: `not ready: ${(err as Error).message}` } });
    }
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    metricsRegistry: client.Registry;
  }
}

/** Standard error responses for a route's OpenAPI entry. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = { $ref: 'ErrorResponse#' };
  return out;
}
