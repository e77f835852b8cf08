import { randomBytes } from 'node:crypto';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/platform/log/index.ts';
import type { Permission } from '../../src/access/permissions.ts';
import { createTestDatabase } from './db.ts';

/** One registered route, as the tests need it: method, URL pattern, declared permission, schema. */
export interface RouteInfo {
  method: string;
  url: string;
  permission?: Permission;
  public: boolean;
  /** Path parameter names in URL order (":tenantId", ":id" … without the colon). */
  params: string[];
  /** The route's body schema (TypeBox / JSON Schema), when it declares one. */
  bodySchema?: Record<string, any>;
}

/**
 * Every route the real app registers, collected through the `onRoute` build option — so the
 * generated suites follow the code: a new route is covered without editing any test.
 * Builds a throwaway app on its own SQLite database (nothing is served) and closes it.
 * Fastify's automatic HEAD twins of GET routes are left out.
 */
export async function collectRoutes(): Promise<RouteInfo[]> {
  const testDb = await createTestDatabase('sqlite');
  const env: NodeJS.ProcessEnv = { XDRHUB_DATA_DIR: testDb.dataDir, XDRHUB_MASTER_KEY: randomBytes(32).toString('base64') };
  const routes: RouteInfo[] = [];
  const app = await buildApp(loadConfig(env), {
    logger: createLogger('silent'),
    database: await testDb.open(),
    env,
    onRoute: (route) => {
      const methods = ([] as string[]).concat(route.method as string | string[]);
      for (const method of methods) {
        if (method === 'HEAD') continue;
        routes.push({
          method,
          url: route.url,
          permission: route.config?.permission,
          public: !!route.config?.public,
          params: [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]),
          bodySchema: (route.schema as { body?: Record<string, any> } | undefined)?.body,
        });
      }
    },
  });
  try {
    await app.http.ready();
  } finally {
    await app.close();
    await testDb.drop();
  }
  return routes;
}

/** Fills a route's URL pattern; parameters missing from `values` get a placeholder uuid. */
export function fillUrl(route: RouteInfo, values: Record<string, string>): string {
  return route.url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => values[name] ?? PLACEHOLDER_UUID);
}

/** A well-formed uuid that names no object: passes validation, then the lookup finds nothing. */
export const PLACEHOLDER_UUID = '00000000-0000-4000-8000-000000000000';
