// The HTTP side of the outbound client against a real server on 127.0.0.1: retries, Retry-After,
// size limits, timeouts, classification, rate limits, defaults. TLS and the proxy have their own files.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../log/index.ts';
import { createOutboundClient, type OutboundClient } from './client.ts';
import { rejectsKind } from './testing.ts';

const logger = createLogger('silent');

describe('outbound client over HTTP', () => {
  let server: http.Server;
  let base: string;
  /** Requests seen per path, with arrival times. */
  const hits = new Map<string, number[]>();
  const seen = (path: string) => hits.get(path)?.length ?? 0;
  let client: OutboundClient;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const count = (hits.get(url.pathname)?.length ?? 0) + 1;
      hits.set(url.pathname, [...(hits.get(url.pathname) ?? []), performance.now()]);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const json = (status: number, body: unknown, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
        switch (url.pathname) {
          case '/echo':
            return json(200, { method: req.method, query: url.search, contentType: req.headers['content-type'] ?? null, ua: req.headers['user-agent'] ?? null, body: Buffer.concat(chunks).toString('utf8') });
          case '/flaky': // 503 twice, then fine
            return count < 3 ? json(503, { error: 'busy' }) : json(200, { ok: true, attempt: count });
          case '/limited': // 429 asking for 1 s, then fine
            return count < 2 ? json(429, { error: 'slow down' }, { 'retry-after': '1' }) : json(200, { ok: true });
          case '/long-pause':
            return json(429, { error: 'come back in two minutes' }, { 'retry-after': '120' });
          case '/always-503':
            return json(503, { error: 'down' });
          case '/status':
            return json(Number(url.searchParams.get('code')), { code: url.searchParams.get('code') });
          case '/slow':
            return void setTimeout(() => json(200, { late: true }), 1500);
          case '/big-streamed': // no content-length: the limit must hold while streaming
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.write('x'.repeat(4000));
            return void res.end('y'.repeat(4000));
          case '/big-declared':
            return res.writeHead(200, { 'content-length': '8000' }).end('z'.repeat(8000));
          case '/text':
            return res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
          default:
            return json(200, { ok: true });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    client = createOutboundClient({ logger });
  });
  beforeEach(() => hits.clear());
  after(async () => {
    await client.close();
    await new Promise((r) => server.close(r));
  });

  test('sends JSON and query parameters, parses the JSON answer; non-2xx is returned, not thrown', async () => {
    const res = await client.request<{ method: string; query: string; contentType: string; body: string }>({ method: 'POST', url: `${base}/echo?keep=1`, query: { q: 'a b', n: 2, tag: ['x', 'y'], skip: undefined }, json: { hello: 'world' } });
    assert.equal(res.status, 200);
    assert.equal(res.body.method, 'POST');
    assert.equal(res.body.query, '?keep=1&q=a+b&n=2&tag=x&tag=y');
    assert.equal(res.body.contentType, 'application/json');
    assert.deepEqual(JSON.parse(res.body.body), { hello: 'world' });
    assert.equal(res.url, `${base}/echo?keep=1&q=a+b&n=2&tag=x&tag=y`);

    const notFound = await client.request({ method: 'GET', url: `${base}/status`, query: { code: 404 } });
    assert.equal(notFound.status, 404);
    const text = await client.request<string>({ method: 'GET', url: `${base}/text`, responseType: 'text' });
    assert.equal(text.body, 'plain words');
    const buf = await client.request<Buffer>({ method: 'GET', url: `${base}/text`, responseType: 'buffer' });
    assert.ok(Buffer.isBuffer(buf.body) && buf.body.toString() === 'plain words');
  });

  test('throwOnHttpError classifies the status with a message that says what to do', async () => {
    const cases: [number, string, string][] = [
      [400, 'invalid', 'request'],
      [401, 'auth', 'authenticate'],
      [403, 'forbidden', 'authorize'],
      [404, 'notFound', 'request'],
      [422, 'invalid', 'request'],
      [500, 'transient', 'request'],
      [501, 'permanent', 'request'],
    ];
    for (const [code, kind, stage] of cases) {
      const err = await rejectsKind(client.request({ method: 'GET', url: `${base}/status`, query: { code }, throwOnHttpError: true, retry: { retries: 0 } }), kind);
      assert.equal(err.status, code);
      assert.equal(err.stage, stage);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:\\d+.*${code}`));
    }
    const auth = await rejectsKind(client.request({ method: 'GET', url: `${base}/status`, query: { code: 401 }, throwOnHttpError: true }), 'auth');
    assert.match(auth.message, /replace the token or password/);
    assert.equal(auth.retryable, false);
  });

  test('idempotent calls are retried on 503 until they succeed', async () => {
    const res = await client.request<{ attempt: number }>({ method: 'GET', url: `${base}/flaky`, retry: { minDelayMs: 5, maxDelayMs: 20 } });
    assert.equal(res.status, 200);
    assert.equal(res.body.attempt, 3, 'two retries by default for GET');
    assert.equal(seen('/flaky'), 3);
  });

  test('POST is sent once unless marked idempotent', async () => {
    const post = await client.request({ method: 'POST', url: `${base}/always-503`, json: {}, retry: { minDelayMs: 5, maxDelayMs: 10 } });
    assert.equal(post.status, 503);
    assert.equal(seen('/always-503'), 1, 'a POST is not repeated');
    hits.clear();
    const idem = await client.request({ method: 'POST', url: `${base}/flaky`, json: {}, idempotent: true, retry: { minDelayMs: 5, maxDelayMs: 10 } });
    assert.equal(idem.status, 200);
    assert.equal(seen('/flaky'), 3);
  });

  test('the last failure is returned once retries are exhausted, or thrown as transient', async () => {
    const res = await client.request({ method: 'GET', url: `${base}/always-503`, retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 } });
    assert.equal(res.status, 503);
    assert.equal(seen('/always-503'), 2);
    const err = await rejectsKind(client.request({ method: 'GET', url: `${base}/always-503`, retry: { retries: 1, minDelayMs: 5, maxDelayMs: 10 }, throwOnHttpError: true }), 'transient');
    assert.equal(err.retryable, true);
  });

  test('a 429 with Retry-After is waited out before the retry', async () => {
    const start = performance.now();
    const res = await client.request({ method: 'GET', url: `${base}/limited`, retry: { minDelayMs: 1, maxDelayMs: 5 } });
    assert.equal(res.status, 200);
    const [first, second] = hits.get('/limited')!;
    assert.ok(second - first >= 950, `retried after ${Math.round(second - first)} ms, asked for 1000`);
    assert.ok(performance.now() - start < 3000);
  });

  test('a Retry-After longer than we hold a call for comes back at once as quota, with the pause', async () => {
    const start = performance.now();
    const res = await client.request({ method: 'GET', url: `${base}/long-pause` });
    assert.equal(res.status, 429);
    assert.equal(seen('/long-pause'), 1);
    const err = await rejectsKind(client.request({ method: 'GET', url: `${base}/long-pause`, throwOnHttpError: true }), 'quota');
    assert.equal(err.retryAfterSeconds, 120);
    assert.equal(err.stage, 'quota');
    assert.ok(performance.now() - start < 1000);
  });

  test('answers over maxResponseBytes fail as tooLarge, streamed or declared', async () => {
    await rejectsKind(client.request({ method: 'GET', url: `${base}/big-streamed`, maxResponseBytes: 5000 }), 'tooLarge');
    await rejectsKind(client.request({ method: 'GET', url: `${base}/big-declared`, maxResponseBytes: 5000 }), 'tooLarge');
    const ok = await client.request<string>({ method: 'GET', url: `${base}/big-streamed`, maxResponseBytes: 8000, responseType: 'text' });
    assert.equal(ok.body.length, 8000);
    // HEAD declares a length but sends nothing: not too large.
    const head = await client.request({ method: 'HEAD', url: `${base}/big-declared`, maxResponseBytes: 10 });
    assert.equal(head.status, 200);
  });

  test('a slow answer times out; so does a server that accepts but never speaks TLS', async () => {
    let start = performance.now();
    const err = await rejectsKind(client.request({ method: 'GET', url: `${base}/slow`, timeoutMs: 200, retry: { retries: 0 } }), 'timeout');
    assert.ok(performance.now() - start < 1200);
    assert.match(err.message, /did not answer in time/);

    const held: net.Socket[] = [];
    const mute = net.createServer((socket) => held.push(socket)); // accepts TCP, never answers the TLS hello
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    start = performance.now();
    await rejectsKind(client.request({ method: 'GET', url: `https://127.0.0.1:${(mute.address() as net.AddressInfo).port}/`, timeoutMs: 200, retry: { retries: 0 } }), 'timeout');
    assert.ok(performance.now() - start < 1200);
    for (const socket of held) socket.destroy();
    await new Promise((r) => mute.close(r));
  });

  test('refused connections and unknown names are classified with their stage', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await rejectsKind(client.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, retry: { retries: 0 } }), 'connect');
    assert.equal(refused.stage, 'connect');
    assert.match(refused.message, /refused the connection/);
    const unknown = await rejectsKind(client.request({ method: 'GET', url: 'https://no-such-host.invalid/', retry: { retries: 0 } }), 'resolve');
    assert.equal(unknown.stage, 'resolve');
    assert.match(unknown.message, /no-such-host\.invalid could not be resolved/);
    await rejectsKind(client.request({ method: 'GET', url: 'ftp://127.0.0.1/' }), 'invalid');
  });

  test('a rate limit spaces calls per key; other keys are not held up', async () => {
    const rl = { key: 'credential-a', perSecond: 20, burst: 2 };
    const start = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => client.request({ method: 'GET', url: `${base}/rl`, rateLimit: rl })));
    const times = hits.get('/rl')!.map((t) => t - start).sort((a, b) => a - b);
    // burst of 2 at once, then one every 50 ms: the sixth starts ≥ 200 ms in.
    assert.ok(times[5] >= 190, `sixth call at ${Math.round(times[5])} ms`);
    assert.ok(times[1] < 100, 'the burst goes out at once');
    const other = performance.now();
    await client.request({ method: 'GET', url: `${base}/rl-other`, rateLimit: { key: 'credential-b', perSecond: 20, burst: 2 } });
    assert.ok(performance.now() - other < 100, 'another key has its own bucket');
    assert.ok(client.stats().rateLimitWaitMs >= 190);
  });

  test('a cancelled call stops, also while waiting to retry', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await rejectsKind(client.request({ method: 'GET', url: `${base}/slow`, signal: ac.signal }), 'aborted');
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 100);
    const start = performance.now();
    await rejectsKind(client.request({ method: 'GET', url: `${base}/always-503`, retry: { retries: 5, minDelayMs: 2000, maxDelayMs: 2000 }, signal: ac2.signal }), 'aborted');
    assert.ok(performance.now() - start < 1500);
  });

  test('defaults and scoped() apply to every call; the request wins and headers merge', async () => {
    const own = createOutboundClient({ logger, defaults: { headers: { 'user-agent': 'xdrhub-test' }, responseType: 'text' } });
    const res = await own.request<string>({ method: 'GET', url: `${base}/echo` });
    assert.equal(JSON.parse(res.body).ua, 'xdrhub-test');
    const scoped = own.scoped({ responseType: 'json', headers: { 'x-tenant': 't1' } });
    const res2 = await scoped.request<{ ua: string }>({ method: 'GET', url: `${base}/echo` });
    assert.equal(res2.body.ua, 'xdrhub-test');
    const res3 = await scoped.request<{ ua: string }>({ method: 'GET', url: `${base}/echo`, headers: { 'user-agent': 'mine' } });
    assert.equal(res3.body.ua, 'mine');
    const ac = new AbortController();
    ac.abort();
    await rejectsKind(own.scoped({ signal: ac.signal }).request({ method: 'GET', url: `${base}/echo` }), 'aborted');
    assert.equal(own.stats().calls, 4, 'scoped clients share stats');
    await own.close();
  });

  test('stats count calls, attempts, retries and errors by kind', async () => {
    const own = createOutboundClient({ logger });
    await own.request({ method: 'GET', url: `${base}/flaky`, retry: { minDelayMs: 1, maxDelayMs: 2 } });
    await own.request({ method: 'GET', url: `${base}/status`, query: { code: 404 } });
    const s = own.stats();
    assert.equal(s.calls, 2);
    assert.equal(s.requests, 4);
    assert.equal(s.retries, 2);
    assert.deepEqual(s.errorsByKind, { transient: 2, notFound: 1 });
    // undici may open a second socket while the first is still being released; never more.
    assert.ok(s.connectionsByOrigin[base] <= 2, `${s.connectionsByOrigin[base]} connections for four sequential attempts`);
    await own.close();
  });

  test('secrets in headers and query never reach error messages or logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const own = createOutboundClient({ logger: createLogger('debug', sink) });
    const secret = 'tok-Very-Secret-42';
    const err = await rejectsKind(own.request({ method: 'GET', url: `${base}/always-503`, query: { apikey: secret }, headers: { authorization: `Bearer ${secret}` }, throwOnHttpError: true, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 } }), 'transient');
    assert.ok(!err.message.includes(secret));
    assert.ok(!err.stack?.includes(secret));
    assert.ok(lines.length > 0, 'the retry was logged');
    assert.ok(lines.every((l) => !l.includes(secret)), lines.join(''));
    await own.close();
  });
});
