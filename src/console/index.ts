import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/server.ts';
import { notFoundHandler } from '../platform/http/errors.ts';

/** Where `npm run build:web` writes the console (web/dist). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const MISSING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>xdrhub — console not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:640px;margin:10vh auto;padding:0 1rem;line-height:1.5;color:#222}code{background:#f2f2f2;padding:2px 4px;border-radius:3px}</style></head>
<body><h1>The web console is not built</h1>
<p>xdrhub is running and its API answers at <a href="/api/docs">/api/docs</a>, but the console's files are missing from <code>web/dist</code>.</p>
<p>Build them with <code>npm run build:web</code> (<code>npm start</code> does it for you), then reload this page.</p></body></html>`;

/**
 * Serves the built console at "/" with a single-page-app fallback: any GET that is not an API
 * path and not a built file gets index.html, so deep links such as /t/:id/alerts/:alertId work.
 * API paths keep the API's JSON 404. Without a build, a page says how to make one.
 */
export async function registerConsole(app: HttpServer, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? CONSOLE_DIST;
  await app.register(fastifyStatic, { root, serve: false, decorateReply: true });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = decodeURIComponent(request.url.split('?')[0]);
    if (urlPath.startsWith('/api/') || urlPath === '/api') return notFoundHandler(request, reply);
    if (!fs.existsSync(path.join(root, 'index.html'))) {
      return reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(MISSING_PAGE);
    }
    const rel = path.normalize(urlPath).replace(/^([/\\])+/, '');
    const file = path.join(root, rel);
    if (rel && file.startsWith(root) && fs.existsSync(file) && fs.statSync(file).isFile()) {
      // Hashed asset names change with every build: cache them for good.
      return reply.sendFile(rel, { maxAge: rel.startsWith('assets/') ? '365d' : 0, immutable: rel.startsWith('assets/') });
    }
    if (path.extname(rel) && rel.startsWith('assets/')) return notFoundHandler(request, reply);
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { maxAge: 0 });
  };
  // Not public: under /api/ the auth hook still answers 401 before the JSON 404, as without the console.
  const route = { schema: { hide: true } };
  app.get('/', route, handler);
  app.get('/*', route, handler);
}
