// The installation proxy, proven with Debian's tinyproxy on 127.0.0.1: calls with useProxy go
// through it (its log shows the CONNECT), calls without it go direct, and nothing ever bypasses a
// proxy that is down or missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCa } from '../../../test/support/tls.ts';
import { freePort, startTinyproxy, tinyproxyMissing, tinyproxyPath, type RunningProxy } from '../../../test/support/proxy.ts';
import { createLogger } from '../log/index.ts';
import { createOutboundClient } from './client.ts';
import { rejectsKind } from './testing.ts';
import { fingerprintSha256 } from './tls.ts';

const logger = createLogger('silent');
if (!tinyproxyPath) console.log(`# NOTICE: ${tinyproxyMissing}`);

describe('outbound client and the installation proxy', () => {
  test('useProxy without a configured proxy fails and never goes direct', async () => {
    let hits = 0;
    const target = http.createServer((_req, res) => (hits++, res.end('{}')));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const client = createOutboundClient({ logger });
    const err = await rejectsKind(client.request({ method: 'GET', url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/`, useProxy: true }), 'proxy');
    assert.equal(err.stage, 'connect');
    assert.match(err.message, /no proxy is configured/);
    assert.equal(hits, 0);
    await client.close();
    await new Promise((r) => target.close(r));
  });

  test('a malformed proxy URL is refused without echoing it', () => {
    assert.throws(() => createOutboundClient({ logger, proxyUrl: 'http://user:pa ss@[bad' }), (err: Error) => !err.message.includes('pa ss') && /not a valid URL/.test(err.message));
  });

  describe('through tinyproxy', { skip: tinyproxyPath ? false : tinyproxyMissing }, () => {
    const auth = { user: 'proxyuser', pass: 'proxy-Secret-9' };
    let ca: Awaited<ReturnType<typeof createTestCa>>;
    let leaf: { cert: string; key: string };
    let targetUrl: string;
    let plainUrl: string;
    let targetConnections = 0;
    const servers: (http.Server | https.Server)[] = [];
    let proxy: RunningProxy;

    before(async () => {
      ca = await createTestCa();
      leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
      const target = https.createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('{"ok":true}'));
      target.on('secureConnection', () => targetConnections++);
      const plain = http.createServer((_req, res) => res.end('{"plain":true}'));
      for (const s of [target, plain]) {
        await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
        servers.push(s);
      }
      targetUrl = `https://127.0.0.1:${(target.address() as AddressInfo).port}`;
      plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
      proxy = await startTinyproxy({ auth });
    });
    after(async () => {
      await proxy?.stop();
      for (const s of servers) {
        (s as http.Server).closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    });

    test('HTTPS and plain HTTP calls with useProxy tunnel through it, authenticated', async () => {
      const client = createOutboundClient({ logger, proxyUrl: proxy.url });
      const before = proxy.requestsSeen().length;
      const res = await client.request<{ ok: boolean }>({ method: 'GET', url: `${targetUrl}/via-proxy`, tls: { ca: ca.cert }, useProxy: true });
      assert.deepEqual(res.body, { ok: true });
      const plain = await client.request<{ plain: boolean }>({ method: 'GET', url: `${plainUrl}/via-proxy`, useProxy: true });
      assert.deepEqual(plain.body, { plain: true });
      const seen = proxy.requestsSeen().slice(before);
      assert.deepEqual(seen, [
        { method: 'CONNECT', target: new URL(targetUrl).host },
        { method: 'CONNECT', target: new URL(plainUrl).host },
      ]);
      assert.equal(client.stats().connectionsByOrigin[targetUrl], 1, 'tunnelled connections are counted per target origin');
      await client.close();
    });

    test('without useProxy the same client goes direct: the proxy sees nothing', async () => {
      const client = createOutboundClient({ logger, proxyUrl: proxy.url });
      const before = proxy.requestsSeen().length;
      const res = await client.request({ method: 'GET', url: `${targetUrl}/direct`, tls: { ca: ca.cert } });
      assert.equal(res.status, 200);
      assert.equal(proxy.requestsSeen().length, before);
      await client.close();
    });

    test('a pin is enforced inside the tunnel too', async () => {
      const client = createOutboundClient({ logger, proxyUrl: proxy.url });
      const ok = await client.request({ method: 'GET', url: `${targetUrl}/pinned`, tls: { pinSha256: fingerprintSha256(leaf.cert) }, useProxy: true });
      assert.equal(ok.status, 200);
      const err = await rejectsKind(client.request({ method: 'GET', url: `${targetUrl}/pinned`, tls: { pinSha256: fingerprintSha256(ca.cert) }, useProxy: true }), 'tls');
      assert.equal(err.reason, 'pinMismatch');
      await client.close();
    });

    test('wrong proxy credentials fail as proxy without showing them', async () => {
      const client = createOutboundClient({ logger, proxyUrl: proxy.url.replace(auth.pass, 'Wrong-Pass-7') });
      const err = await rejectsKind(client.request({ method: 'GET', url: `${targetUrl}/`, tls: { ca: ca.cert }, useProxy: true }), 'proxy');
      assert.ok(err.status === 407 || err.status === 401, `status ${err.status}`); // tinyproxy answers CONNECT with 401
      assert.match(err.message, /proxy refused our credentials/);
      assert.equal(err.stage, 'connect');
      for (const secret of ['Wrong-Pass-7', auth.pass]) {
        assert.ok(!err.message.includes(secret) && !err.stack?.includes(secret));
      }
      await client.close();
    });

    test('a target the proxy cannot reach fails as proxy, with the proxy status', async () => {
      const client = createOutboundClient({ logger, proxyUrl: proxy.url });
      const err = await rejectsKind(client.request({ method: 'GET', url: `https://127.0.0.1:${await freePort()}/`, useProxy: true, retry: { retries: 0 } }), 'proxy');
      assert.ok(err.status && err.status >= 500, `status ${err.status}`);
      await client.close();
    });

    test('when the proxy is down, calls fail as proxy and never reach the target directly', async () => {
      const dead = await startTinyproxy();
      await dead.stop();
      const client = createOutboundClient({ logger, proxyUrl: dead.url });
      const before = targetConnections;
      // A GET would be retried on a connect error; a dead proxy is not retried, nor bypassed.
      const err = await rejectsKind(client.request({ method: 'GET', url: `${targetUrl}/`, tls: { ca: ca.cert }, useProxy: true }), 'proxy');
      assert.equal(err.stage, 'connect');
      assert.match(err.message, /proxy 127\.0\.0\.1:\d+ is not reachable/);
      assert.equal(targetConnections, before, 'the target saw no connection');
      assert.equal(client.stats().requests, 1, 'not retried');
      await client.close();
    });
  });
});
