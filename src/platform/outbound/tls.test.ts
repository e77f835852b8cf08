// TLS against real HTTPS servers on 127.0.0.1 with a throwaway CA: trust, pinning, mutual TLS,
// the classification of each failure, and connection reuse counted on the server side.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestCa, type Pem } from '../../../test/support/tls.ts';
import { createLogger } from '../log/index.ts';
import { createOutboundClient, type OutboundClient } from './client.ts';
import { rejectsKind } from './testing.ts';
import { fingerprintSha256, normalizeFingerprint } from './tls.ts';

const logger = createLogger('silent');

interface Served {
  url: string;
  /** TLS connections the server accepted. */
  connections(): number;
  close(): Promise<void>;
}

async function serve(options: https.ServerOptions): Promise<Served> {
  let connections = 0;
  const server = https.createServer(options, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // /once closes the connection after answering, so the next call needs a new handshake.
    if (req.url === '/once') headers.connection = 'close';
    res.writeHead(200, headers).end(JSON.stringify({ client: peer?.subject?.CN ?? null }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('outbound client over TLS', () => {
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  let otherCa: Awaited<ReturnType<typeof createTestCa>>;
  let leaf: Pem;
  let otherLeaf: Pem;
  let clientCert: Pem;
  let strangerCert: Pem;
  let site: Served;
  let mtls: Served;
  let mtls12: Served;
  let client: OutboundClient;

  before(async () => {
    ca = await createTestCa('xdrhub test CA');
    otherCa = await createTestCa('some other CA');
    leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    otherLeaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    clientCert = await ca.issue({ cn: 'xdrhub client', client: true });
    strangerCert = await otherCa.issue({ cn: 'stranger', client: true });
    site = await serve({ cert: leaf.cert, key: leaf.key });
    const mutual = { cert: leaf.cert, key: leaf.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true };
    mtls = await serve(mutual);
    mtls12 = await serve({ ...mutual, maxVersion: 'TLSv1.2' });
    client = createOutboundClient({ logger });
  });
  after(async () => {
    await client.close();
    await Promise.all([site.close(), mtls.close(), mtls12.close()]);
  });

  test('a private CA is trusted when given; without it the certificate is refused as untrusted', async () => {
    const ok = await client.request({ method: 'GET', url: `${site.url}/`, tls: { ca: ca.cert } });
    assert.equal(ok.status, 200);
    const err = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/` }), 'tls');
    assert.equal(err.stage, 'tls');
    assert.equal(err.reason, 'untrusted');
    assert.match(err.message, /not trusted: add its CA certificate or pin its fingerprint/);
    const wrongCa = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/`, tls: { ca: otherCa.cert } }), 'tls');
    assert.equal(wrongCa.reason, 'untrusted');
  });

  test('a certificate that does not name the host is refused as a hostname mismatch', async () => {
    const err = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/`, tls: { ca: ca.cert, servername: 'kata.example.org' } }), 'tls');
    assert.equal(err.reason, 'hostnameMismatch');
  });

  test('a pin alone trusts exactly that certificate, on every new connection', async () => {
    const pin = fingerprintSha256(leaf.cert);
    // /once forces a fresh handshake per call: pins must hold without TLS session resumption hiding the certificate.
    const before = site.connections();
    for (let i = 0; i < 3; i++) {
      const res = await client.request({ method: 'GET', url: `${site.url}/once`, tls: { pinSha256: pin } });
      assert.equal(res.status, 200);
    }
    assert.equal(site.connections() - before, 3);
    const lower = await client.request({ method: 'GET', url: `${site.url}/`, tls: { pinSha256: pin.replaceAll(':', '').toLowerCase() } });
    assert.equal(lower.status, 200, 'hex without colons, any case');
  });

  test('a different certificate is refused even when the CA would accept it', async () => {
    const err = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/`, tls: { ca: ca.cert, pinSha256: fingerprintSha256(otherLeaf.cert) } }), 'tls');
    assert.equal(err.reason, 'pinMismatch');
    assert.match(err.message, /does not match the pinned fingerprint/);
    const alone = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/`, tls: { pinSha256: fingerprintSha256(otherLeaf.cert) } }), 'tls');
    assert.equal(alone.reason, 'pinMismatch');
    const malformed = await rejectsKind(client.request({ method: 'GET', url: `${site.url}/`, tls: { pinSha256: 'AB:CD' } }), 'tls');
    assert.match(malformed.message, /not a SHA-256 fingerprint/);
  });

  test('mutual TLS: our client certificate is presented and accepted', async () => {
    const ok = await client.request<{ client: string }>({ method: 'GET', url: `${mtls.url}/`, tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key } });
    assert.equal(ok.body.client, 'xdrhub client');
    const ok12 = await client.request<{ client: string }>({ method: 'GET', url: `${mtls12.url}/`, tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key } });
    assert.equal(ok12.body.client, 'xdrhub client');
  });

  test('mutual TLS (TLS 1.3): a missing or unknown client certificate is a TLS failure, reason clientCertRefused', async () => {
    const missing = await rejectsKind(client.request({ method: 'GET', url: `${mtls.url}/`, tls: { ca: ca.cert } }), 'tls');
    assert.equal(missing.reason, 'clientCertRefused');
    assert.equal(missing.stage, 'tls');
    assert.match(missing.message, /requires a client certificate/);
    const stranger = await rejectsKind(client.request({ method: 'GET', url: `${mtls.url}/`, tls: { ca: ca.cert, cert: strangerCert.cert, key: strangerCert.key } }), 'tls');
    assert.equal(stranger.reason, 'clientCertRefused');
    assert.match(stranger.message, /refused our client certificate/);
  });

  test('mutual TLS (TLS 1.2): the refused handshake is a TLS failure that points at the client certificate', async () => {
    const missing = await rejectsKind(client.request({ method: 'GET', url: `${mtls12.url}/`, tls: { ca: ca.cert } }), 'tls');
    assert.match(missing.message, /client certificate/);
    const stranger = await rejectsKind(client.request({ method: 'GET', url: `${mtls12.url}/`, tls: { ca: ca.cert, cert: strangerCert.cert, key: strangerCert.key } }), 'tls');
    assert.match(stranger.message, /client certificate/);
  });

  test('connections are reused across calls with the same TLS settings (counted by the server)', async () => {
    const own = createOutboundClient({ logger, connectionsPerOrigin: 4 });
    let before = site.connections();
    for (let i = 0; i < 20; i++) await own.request({ method: 'GET', url: `${site.url}/reuse`, tls: { ca: ca.cert } });
    const sequential = site.connections() - before;
    // undici may open a second socket while the first is being released; never more.
    assert.ok(sequential <= 2, `${sequential} connections for 20 sequential calls`);
    before = site.connections();
    await Promise.all(Array.from({ length: 40 }, () => own.request({ method: 'GET', url: `${site.url}/reuse`, tls: { ca: ca.cert } })));
    const concurrent = site.connections() - before;
    assert.ok(concurrent <= 4, `${concurrent} new connections for 40 concurrent calls with a pool of 4`);
    assert.equal(own.stats().connectionsByOrigin[site.url], sequential + concurrent, 'the client counts what the server saw');
    await own.close();
  });

  test('dispatchers per TLS option set are bounded; evicted ones close without failing calls', async () => {
    const own = createOutboundClient({ logger, maxDispatchers: 2 });
    const variants = [{ ca: ca.cert }, { ca: ca.cert, servername: 'localhost' }, { pinSha256: fingerprintSha256(leaf.cert) }];
    for (let round = 0; round < 2; round++) {
      for (const tls of variants) assert.equal((await own.request({ method: 'GET', url: `${site.url}/`, tls })).status, 200);
    }
    assert.equal(own.stats().dispatchers, 2);
    await own.close();
  });

  test('fingerprintSha256 matches openssl and accepts PEM or DER', async () => {
    const ours = fingerprintSha256(leaf.cert);
    assert.equal(fingerprintSha256(new X509Certificate(leaf.cert).raw), ours);
    assert.equal(normalizeFingerprint(`sha256:${ours.replaceAll(':', '').toLowerCase()}`), ours);
    assert.throws(() => fingerprintSha256('not a certificate'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-fp-'));
    try {
      fs.writeFileSync(path.join(dir, 'leaf.pem'), leaf.cert);
      const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', path.join(dir, 'leaf.pem')], { encoding: 'utf8' });
      assert.equal(out.trim().split('=')[1], ours);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      console.log('# openssl is not installed: fingerprint compared with Node only');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
