import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../log/index.ts';
import { createOutboundClient, fingerprintSha256, type OutboundClient } from './client.ts';
import { OutboundError } from './errors.ts';
import { createTestCa } from '../../../test/support/tls.ts';
import { startTinyproxy, tinyproxyPath } from '../../../test/support/proxy.ts';

const logger = createLogger('silent');

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function rejectsKind(p: Promise<unknown>, kind: string): Promise<OutboundError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `expected OutboundError, got ${err}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected an OutboundError of kind ${kind}`);
}

describe('outbound client', () => {
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let serverCert: { cert: string; key: string };
  let clientCert: { cert: string; key: string };
  let httpsPort: number;
  let mtlsPort: number;
  let plainPort: number;
  const servers: (http.Server | https.Server)[] = [];
  let connections = 0;
  let flaky = 0;
  let client: OutboundClient;

  before(async () => {
    ca = await createTestCa();
    serverCert = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    clientCert = await ca.issue({ cn: 'xdrhub client', client: true });
    const handler: http.RequestListener = (req, res) => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
      if (req.url === '/flaky') {
        flaky++;
        if (flaky < 3) return void res.writeHead(503).end();
        return void res.end('{"ok":true}');
      }
      if (req.url === '/limited') {
        flaky++;
        if (flaky < 2) return void res.writeHead(429, { 'retry-after': '1' }).end();
        return void res.end('{"ok":true}');
      }
      if (req.url === '/big') return void res.end('x'.repeat(5000));
      if (req.url === '/post-fail') {
        flaky++;
        return void res.writeHead(503).end();
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, client: (req.socket as any).getPeerCertificate?.()?.subject?.CN ?? null }));
    };
    const tlsServer = https.createServer({ cert: serverCert.cert, key: serverCert.key }, handler);
    tlsServer.on('secureConnection', () => connections++);
    httpsPort = await listen(tlsServer);
    const mtls = https.createServer({ cert: serverCert.cert, key: serverCert.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, handler);
    mtlsPort = await listen(mtls);
    const plain = http.createServer(handler);
    plainPort = await listen(plain);
    servers.push(tlsServer, mtls, plain);
    client = createOutboundClient({ logger });
  });
  after(async () => {
    await client.close();
    for (const s of servers) s.close();
  });

  test('trusts a private CA; refuses an untrusted certificate as a TLS failure', async () => {
    const ok = await client.request<{ method: string }>({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/x`, tls: { ca: ca.cert } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.method, 'GET');
    const err = await rejectsKind(client.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/x` }), 'tls');
    assert.equal(err.stage, 'tls');
    assert.match(err.message, /not trusted/);
  });

  test('a pinned fingerprint is accepted alone and a different one is refused', async () => {
    const pin = fingerprintSha256(serverCert.cert);
    assert.match(pin, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const ok = await client.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/pinned`, tls: { pinSha256: pin } });
    assert.equal(ok.status, 200);
    const other = fingerprintSha256(clientCert.cert);
    const err = await rejectsKind(client.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/pinned`, tls: { pinSha256: other } }), 'tls');
    assert.match(err.message, /pinned fingerprint/);
  });

  test('mutual TLS: the client certificate is presented; without it the server refuses', async () => {
    const ok = await client.request<{ client: string }>({ method: 'GET', url: `https://127.0.0.1:${mtlsPort}/m`, tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key } });
    assert.equal(ok.body.client, 'xdrhub client');
    // TLS 1.3 servers refuse a missing client certificate by closing after the handshake.
    const err = await rejectsKind(client.request({ method: 'GET', url: `https://127.0.0.1:${mtlsPort}/m`, tls: { ca: ca.cert }, retry: { retries: 0 } }), 'connect');
    assert.match(err.message, /client certificate/);
  });

  test('timeouts, refused connections and unknown names are classified', async () => {
    await rejectsKind(client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/slow`, timeoutMs: 200, retry: { retries: 0 } }), 'timeout');
    await rejectsKind(client.request({ method: 'GET', url: 'http://127.0.0.1:1/', retry: { retries: 0 } }), 'connect');
    await rejectsKind(client.request({ method: 'GET', url: 'http://no-such-host.invalid/', retry: { retries: 0 } }), 'resolve');
  });

  test('idempotent calls retry transient failures; POST does not', async () => {
    flaky = 0;
    const ok = await client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/flaky`, retry: { retries: 3, minDelayMs: 10, maxDelayMs: 20 } });
    assert.equal(ok.status, 200);
    assert.equal(flaky, 3);
    flaky = 0;
    const post = await client.request({ method: 'POST', url: `http://127.0.0.1:${plainPort}/post-fail`, json: {} });
    assert.equal(post.status, 503);
    assert.equal(flaky, 1, 'a POST is sent once');
  });

  test('Retry-After on 429 is honoured', async () => {
    flaky = 0;
    const start = Date.now();
    const ok = await client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/limited`, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2000 } });
    assert.equal(ok.status, 200);
    assert.ok(Date.now() - start >= 900, 'waited about the second the server asked for');
  });

  test('responses over the size limit are refused', async () => {
    await rejectsKind(client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/big`, maxResponseBytes: 1000 }), 'tooLarge');
  });

  test('connections are reused across calls with the same TLS settings', async () => {
    const own = createOutboundClient({ logger });
    const before = connections;
    for (let i = 0; i < 20; i++) await own.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/reuse`, tls: { ca: ca.cert } });
    // Sequential calls may open a second socket while the first is being released; never more.
    assert.ok(connections - before <= 2, `${connections - before} connections for 20 calls`);
    assert.equal(Object.values(own.stats().connectionsByOrigin).reduce((a, b) => a + b, 0), connections - before);
    await own.close();
  });

  test('a rate limit spaces calls per key', async () => {
    const start = Date.now();
    for (let i = 0; i < 5; i++) await client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/rl`, rateLimit: { key: 'cred-1', perSecond: 10, burst: 1 } });
    assert.ok(Date.now() - start >= 350, 'five calls at 10/s with burst 1 take at least 400 ms');
  });

  test('useProxy without a configured proxy fails instead of going direct', async () => {
    await rejectsKind(client.request({ method: 'GET', url: `http://127.0.0.1:${plainPort}/direct`, useProxy: true }), 'proxy');
  });

  describe('through a real HTTP proxy (tinyproxy)', { skip: tinyproxyPath ? false : 'tinyproxy is not installed: proxy tests skipped (apt-get install tinyproxy)' }, () => {
    test('HTTPS goes through the proxy with CONNECT, authenticated; credentials never appear in errors', async () => {
      const proxy = await startTinyproxy({ user: 'proxyuser', pass: 'proxy-Secret-9' });
      const viaProxy = createOutboundClient({ logger, proxyUrl: proxy.url });
      try {
        const res = await viaProxy.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/through-proxy`, tls: { ca: ca.cert }, useProxy: true });
        assert.equal(res.status, 200);
        assert.match(proxy.log(), /CONNECT/);
        // Without useProxy the same client goes direct, and the proxy sees nothing new.
        const lines = proxy.log().split('\n').length;
        await viaProxy.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/direct`, tls: { ca: ca.cert } });
        assert.equal(proxy.log().split('\n').length, lines);
        const wrong = createOutboundClient({ logger, proxyUrl: proxy.url.replace('proxy-Secret-9', 'bad-pass') });
        const err = await rejectsKind(wrong.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/x`, tls: { ca: ca.cert }, useProxy: true, retry: { retries: 0 } }), 'proxy');
        assert.ok(!err.message.includes('bad-pass'));
        await wrong.close();
      } finally {
        await viaProxy.close();
        await proxy.stop();
      }
    });

    test('when the proxy is down, the call fails and never bypasses it', async () => {
      const proxy = await startTinyproxy();
      const url = proxy.url;
      await proxy.stop();
      const viaDeadProxy = createOutboundClient({ logger, proxyUrl: url });
      const before = connections;
      const err = await rejectsKind(viaDeadProxy.request({ method: 'GET', url: `https://127.0.0.1:${httpsPort}/x`, tls: { ca: ca.cert }, useProxy: true, retry: { retries: 0 } }), 'connect');
      assert.equal(err.stage, 'connect');
      assert.equal(connections, before, 'the target saw no direct connection');
      await viaDeadProxy.close();
    });
  });
});

