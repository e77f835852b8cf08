import { Type } from 'typebox';
import { serialize as serializeCookie } from 'cookie';
import type { HttpServer } from '../platform/http/server.ts';
import { errorResponses } from '../platform/http/server.ts';
import { iso } from '../platform/ids.ts';
import { actorOf, MAX_TOKEN_DAYS, type AccessService, type RoleAssignment, type User } from './access.ts';
import { CSRF_COOKIE, SESSION_COOKIE } from './auth-hook.ts';
import { PERMISSIONS, ROLES, ROLE_TITLES, roleGrants } from './permissions.ts';

const TenantParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }) });
const UserParams = Type.Object({ tenantId: Type.String({ format: 'uuid' }), userId: Type.String({ format: 'uuid' }) });

const RoleAssignmentView = Type.Object({ id: Type.String(), tenantId: Type.String(), role: Type.String(), createdAt: Type.String() });
const UserView = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    displayName: Type.String(),
    email: Type.Union([Type.String(), Type.Null()]),
    tenantId: Type.String(),
    disabled: Type.Boolean(),
    roles: Type.Array(RoleAssignmentView),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'User' },
);
const TokenView = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.String(), expiresAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]), revokedAt: Type.Union([Type.String(), Type.Null()]) });

const Password = Type.String({ minLength: 1, maxLength: 256 });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()]);

const assignmentView = (a: RoleAssignment) => ({ id: a.id, tenantId: a.tenantId, role: a.role, createdAt: iso(a.createdAt)! });
const userView = (u: User, roles: RoleAssignment[]) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  email: u.email,
  tenantId: u.tenantId,
  disabled: u.disabled,
  roles: roles.map(assignmentView),
  createdAt: iso(u.createdAt)!,
  updatedAt: iso(u.updatedAt)!,
});

export function registerAccessRoutes(app: HttpServer, access: AccessService, options: { secureCookies: boolean }): void {
  const cookieOptions = (maxAgeSeconds: number) => ({ path: '/', sameSite: 'strict' as const, secure: options.secureCookies, maxAge: maxAgeSeconds });

  app.post(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in: sets the session cookie (HttpOnly, SameSite=Strict) and the CSRF cookie',
        body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 128 }), password: Password }, { additionalProperties: false }),
        response: { 200: Type.Object({ user: UserView, csrfToken: Type.String(), expiresAt: Type.String() }), ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const s = await access.login(username, password);
      const maxAge = Math.floor((s.expiresAt - Date.now()) / 1000);
      reply.header('set-cookie', [
        serializeCookie(SESSION_COOKIE, s.sessionToken, { ...cookieOptions(maxAge), httpOnly: true }),
        serializeCookie(CSRF_COOKIE, s.csrfToken, cookieOptions(maxAge)),
      ]);
      return { user: userView(s.user, await access.assignmentsOf(s.user.id)), csrfToken: s.csrfToken, expiresAt: iso(s.expiresAt)! };
    },
  );

  app.post('/api/v1/auth/logout', { schema: { tags: ['auth'], summary: 'Sign out (ends this session)', response: { 204: Type.Null(), ...errorResponses(401, 403) } } }, async (request, reply) => {
    await access.logout(request.principal);
    reply.header('set-cookie', [
      serializeCookie(SESSION_COOKIE, '', { ...cookieOptions(0), httpOnly: true }),
      serializeCookie(CSRF_COOKIE, '', cookieOptions(0)),
    ]);
    return reply.status(204).send(null);
  });

  app.get('/api/v1/me', { schema: { tags: ['auth'], summary: 'The signed-in user, role assignments and the permission table', response: { 200: Type.Object({ user: UserView, via: Type.String(), roles: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), permissions: Type.Array(Type.String()) })) }), ...errorResponses(401) } } }, async (request) => {
    const p = request.principal;
    return {
      user: userView(p.user, p.assignments),
      via: p.via,
      roles: ROLES.map((r) => ({ id: r, title: ROLE_TITLES[r], permissions: PERMISSIONS.filter((perm) => roleGrants(r, perm)) })),
    };
  });

  app.post(
    '/api/v1/me/password',
    { schema: { tags: ['auth'], summary: 'Change your own password (ends your other sessions)', body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }), response: { 204: Type.Null(), ...errorResponses(400, 401, 403) } } },
    async (request, reply) => {
      await access.changeOwnPassword(request.principal, request.body.currentPassword, request.body.newPassword);
      return reply.status(204).send(null);
    },
  );

  app.get('/api/v1/me/tokens', { schema: { tags: ['auth'], summary: 'Your personal API tokens (never their values)', response: { 200: Type.Object({ items: Type.Array(TokenView) }), ...errorResponses(401) } } }, async (request) => {
    const items = await access.listTokens(request.principal.user.id);
    return { items: items.map((t) => ({ ...t, createdAt: iso(t.createdAt)!, expiresAt: iso(t.expiresAt)!, lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) })) };
  });

  app.post(
    '/api/v1/me/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token: its value is shown once, only its hash is stored',
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS, default: 90 })) }, { additionalProperties: false }),
        response: { 201: Type.Object({ token: Type.String({ description: 'Shown once: store it now' }), id: Type.String(), name: Type.String(), expiresAt: Type.String() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { token, view } = await access.createToken(request.principal, { name: request.body.name, expiresInDays: request.body.expiresInDays ?? 90 });
      return reply.status(201).send({ token, id: view.id, name: view.name, expiresAt: iso(view.expiresAt)! });
    },
  );

  app.delete(
    '/api/v1/me/tokens/:tokenId',
    { schema: { tags: ['auth'], summary: 'Revoke one of your API tokens', params: Type.Object({ tokenId: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await access.revokeToken(request.principal, request.params.tokenId);
      return reply.status(204).send(null);
    },
  );

  // ── users managed under a tenant ───────────────────────────────────────────
  app.get(
    '/api/v1/tenants/:tenantId/users',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: 'Users homed in this tenant or its descendants',
        params: TenantParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })), q: Type.Optional(Type.String({ maxLength: 128 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(UserView), total: Type.Integer() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { items, total } = await access.listUsers(request.tenant, { limit: request.query.limit ?? 50, offset: request.query.offset ?? 0, q: request.query.q });
      return { items: items.map((u) => userView(u, u.roles)), total };
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/users',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a user homed in this tenant; without a password one is generated and returned once',
        params: TenantParams,
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 128 }),
            displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
            email: Type.Optional(Email),
            password: Type.Optional(Password),
            roles: Type.Optional(Type.Array(Type.String({ enum: [...ROLES] }), { maxItems: ROLES.length, description: 'Roles granted on this tenant' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ user: UserView, generatedPassword: Type.Optional(Type.String()) }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { roles, ...input } = request.body;
      const { user, generatedPassword } = await access.createUser(request.tenant, input, actorOf(request.principal));
      for (const role of roles ?? []) await access.assignRole(request.principal, request.tenant, user.id, { tenantId: request.tenant.id, role });
      return reply.status(201).send({ user: userView(user, await access.assignmentsOf(user.id)), generatedPassword });
    },
  );

  app.get(
    '/api/v1/tenants/:tenantId/users/:userId',
    { config: { permission: 'users.manage' }, schema: { tags: ['users'], summary: 'One user', params: UserParams, response: { 200: UserView, ...errorResponses(401, 403, 404) } } },
    async (request) => {
      const user = await access.userUnder(request.tenant, request.params.userId);
      return userView(user, await access.assignmentsOf(user.id));
    },
  );

  app.patch(
    '/api/v1/tenants/:tenantId/users/:userId',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: 'Update a user: name, e-mail, disabled, or set a new password (ends their sessions). On yourself, disabling and the password are refused (400): use /me/password',
        params: UserParams,
        body: Type.Object({ displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), email: Type.Optional(Email), disabled: Type.Optional(Type.Boolean()), password: Type.Optional(Password) }, { additionalProperties: false }),
        response: { 200: UserView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const user = await access.updateUser(request.tenant, request.params.userId, request.body, actorOf(request.principal));
      return userView(user, await access.assignmentsOf(user.id));
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/users/:userId',
    { config: { permission: 'users.manage' }, schema: { tags: ['users'], summary: 'Delete a user, their sessions, tokens and roles (not yourself: 409)', params: UserParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409) } } },
    async (request, reply) => {
      await access.deleteUser(request.tenant, request.params.userId, actorOf(request.principal));
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/tenants/:tenantId/users/:userId/roles',
    {
      config: { permission: 'users.manage' },
      schema: {
        tags: ['users'],
        summary: 'Grant a role on this tenant or a descendant (inherited by its descendants)',
        params: UserParams,
        body: Type.Object({ tenantId: Type.String({ format: 'uuid' }), role: Type.String({ enum: [...ROLES] }) }, { additionalProperties: false }),
        response: { 201: RoleAssignmentView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const a = await access.assignRole(request.principal, request.tenant, request.params.userId, request.body);
      return reply.status(201).send(assignmentView(a));
    },
  );

  app.delete(
    '/api/v1/tenants/:tenantId/users/:userId/roles/:assignmentId',
    {
      config: { permission: 'users.manage' },
      schema: { tags: ['users'], summary: 'Remove a role assignment', params: Type.Object({ tenantId: Type.String({ format: 'uuid' }), userId: Type.String({ format: 'uuid' }), assignmentId: Type.String({ format: 'uuid' }) }), response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => {
      await access.removeRole(request.principal, request.tenant, request.params.userId, request.params.assignmentId);
      return reply.status(204).send(null);
    },
  );
}
