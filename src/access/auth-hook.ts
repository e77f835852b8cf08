import { parse as parseCookies } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../platform/errors.ts';
import type { HttpServer } from '../platform/http/server.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { AccessService, type Principal } from './access.ts';
import type { Permission } from './permissions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route needs on the tenant named by its :tenantId parameter. */
    permission?: Permission;
  }
  interface FastifyInstance {
    /** The access service, for routes that check someone else's roles (e.g. an alert's assignee). */
    access: AccessService;
  }
  interface FastifyRequest {
    principal: Principal;
    /** The tenant of :tenantId, resolved and authorized before validation and the handler. */
    tenant: Tenant;
  }
}

export const SESSION_COOKIE = 'xdrhub_session';
export const CSRF_COOKIE = 'xdrhub_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves every API request to (principal, tenant, permission) before anything else runs —
 * before the body is even parsed. Handlers never see a request that failed this.
 */
export function registerAuthHook(app: HttpServer, access: AccessService): void {
  app.decorate('access', access);
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('tenant', null as unknown as Tenant);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    const config = request.routeOptions.config;
    if (config?.public) return;
    const url = request.url;
    if (!url.startsWith('/api/') || url.startsWith('/api/docs')) return;
    request.principal = await authenticate(request, access);
    if (config?.permission) {
      const tenantId = (request.params as Record<string, string> | undefined)?.tenantId;
      if (!tenantId) throw new Error(`route ${request.routeOptions.url} declares a permission but has no :tenantId`);
      request.tenant = await access.authorize(request.principal, config.permission, tenantId);
    }
  });
}

async function authenticate(request: FastifyRequest, access: AccessService): Promise<Principal> {
  const header = request.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = m ? await access.authenticateToken(m[1]) : null;
    if (!principal) throw unauthorized('the API token is invalid, expired or revoked');
    return principal;
  }
  const cookies = parseCookies(request.headers.cookie ?? '');
  const sessionToken = cookies[SESSION_COOKIE];
  const principal = sessionToken ? await access.authenticateSession(sessionToken) : null;
  if (!principal) throw unauthorized();
  // Cookie-authenticated writes must echo the CSRF token (double submit): a cross-site form
  // can send the cookie but cannot read it.
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers['x-csrf-token'];
    if (!AccessService.csrfMatches(principal, typeof sent === 'string' ? sent : undefined)) {
      throw forbidden('missing or wrong X-CSRF-Token header (send the value of the xdrhub_csrf cookie)');
    }
  }
  return principal;
}
