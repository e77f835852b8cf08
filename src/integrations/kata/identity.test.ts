import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createTestCa } from '../../../test/support/tls.ts';
import { startKataSimulator, type KataSimulator } from '../../../simulators/kata/index.ts';
import { createLogger } from '../../platform/log/index.ts';
import { OutboundError, createOutboundClient, type OutboundClient } from '../../platform/outbound/index.ts';
import { generateKataIdentity } from './identity.ts';
import { parseHost } from './settings.ts';

describe('KATA client identity', () => {
  for (const algorithm of ['ecdsaP256', 'rsa2048'] as const) {
    test(`${algorithm}: a self-signed TLS client certificate that parses, with its key and the shown fingerprint`, async () => {
      const id = await generateKataIdentity({ algorithm, validityDays: 30, commonName: 'xdr.example, O=evil' });
      assert.match(id.xdrId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const node = new X509Certificate(id.certificatePem);
      assert.equal(node.fingerprint256, id.fingerprintSha256);
      assert.ok(node.checkPrivateKey(createPrivateKey(id.privateKeyPem)), 'the key belongs to the certificate');
      assert.equal(node.ca, false);
      assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'extended key usage: clientAuth only');
      const days = (Date.parse(node.validTo) - Date.parse(node.validFrom)) / 86_400_000;
      assert.equal(Math.round(days), 30);
      const cert = new x509.X509Certificate(id.certificatePem);
      const ku = cert.getExtension(x509.KeyUsagesExtension)!;
      assert.ok(ku.critical);
      const expected = algorithm === 'rsa2048' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
      assert.equal(ku.usages, expected);
      assert.equal(createPrivateKey(id.privateKeyPem).asymmetricKeyType, algorithm === 'rsa2048' ? 'rsa' : 'ec');
      // The common name cannot smuggle another attribute into the subject.
      assert.equal(cert.subjectName.getField('O').join(','), 'xdrhub');
      assert.ok(await cert.verify({ signatureOnly: true }), 'self-signed signature verifies');
    });
  }

  test('validity outside 1–3650 days is refused', async () => {
    await assert.rejects(generateKataIdentity({ validityDays: 0 }), /1 to 3650/);
  });

  test('hosts: names, IPv4, IPv6 in brackets in URLs; junk refused', () => {
    assert.deepEqual(parseHost('kata.corp.example'), { kind: 'name', urlHost: 'kata.corp.example' });
    assert.deepEqual(parseHost('10.0.0.5'), { kind: 'ipv4', urlHost: '10.0.0.5' });
    assert.deepEqual(parseHost('::1'), { kind: 'ipv6', urlHost: '[::1]' });
    assert.deepEqual(parseHost('[fe80::1%eth0]'), { kind: 'ipv6', urlHost: '[fe80::1%25eth0]' });
    for (const bad of ['10.0.0.256', '1.2.3', ':::1', '[10.0.0.1]', '-bad.example', 'a..b']) assert.throws(() => parseHost(bad), /not a valid|brackets/, bad);
  });
});

describe('KATA simulator TLS gate', () => {
  let sim: KataSimulator;
  let http: OutboundClient;
  let ca: Awaited<ReturnType<typeof createTestCa>>;
  before(async () => {
    ca = await createTestCa();
    sim = await startKataSimulator({ tls: await ca.issue({ cn: 'kata.test', ips: ['127.0.0.1'] }) });
    http = createOutboundClient({ logger: createLogger('silent') });
  });
  after(async () => {
    await http?.close();
    await sim?.close();
  });

  const call = (tls: { cert?: string; key?: string }) =>
    http.request({ method: 'GET', url: `${sim.url}/kata/response_api/v1/8d0cf1a4-65a4-4b8e-9a68-0d1b2c3d4e5f/sensors`, tls: { ca: ca.cert, ...tls }, retry: { retries: 0 } });

  test('no client certificate, or one not meant for client authentication: refused in TLS', async () => {
    for (const tls of [{}, await ca.issue({ cn: 'server-only', client: false })]) {
      const err = await call(tls).then(() => null, (e) => e);
      assert.ok(err instanceof OutboundError, String(err));
      assert.equal(err.kind, 'tls');
      assert.equal(err.reason, 'clientCertRefused');
    }
    assert.equal(sim.authorizations().length, 0, 'no authorization request from a refused connection');
  });

  test('a generated certificate gets through TLS and creates a pending authorization request', async () => {
    const id = await generateKataIdentity();
    const res = await call({ cert: id.certificatePem, key: id.privateKeyPem });
    assert.equal(res.status, 401);
    const [request] = sim.authorizations();
    assert.equal(request.state, 'pending');
    assert.equal(request.fingerprint, id.fingerprintSha256);
  });
});
