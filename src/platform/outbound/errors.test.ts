import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyUrl } from './dispatchers.ts';
import { classifyHttpStatus, classifyNetworkError, httpError } from './errors.ts';

test('classifyHttpStatus follows DESIGN.md "Errors"', () => {
  const table: [number, string | null][] = [
    [200, null], [204, null], [304, null], [400, 'invalid'], [401, 'auth'], [403, 'forbidden'], [404, 'notFound'],
    [407, 'proxy'], [408, 'timeout'], [409, 'invalid'], [413, 'tooLarge'], [422, 'invalid'], [429, 'quota'],
    [418, 'permanent'], [500, 'transient'], [501, 'permanent'], [502, 'transient'], [503, 'transient'], [504, 'transient'],
  ];
  for (const [status, kind] of table) assert.equal(classifyHttpStatus(status), kind, String(status));
});

test('HTTP errors carry status, stage, retryability and the pause asked for', () => {
  const q = httpError(429, 'api.example:443', 30);
  assert.deepEqual([q.kind, q.stage, q.status, q.retryable, q.retryAfterSeconds], ['quota', 'quota', 429, true, 30]);
  assert.match(q.message, /wait 30 s/);
  const a = httpError(401, 'api.example:443');
  assert.deepEqual([a.kind, a.stage, a.retryable], ['auth', 'authenticate', false]);
});

test('network failures map to kinds, and through a proxy to the proxy', () => {
  const err = (code: string, message = '') => Object.assign(new Error(message), { code });
  const host = 'kata.example:443';
  assert.equal(classifyNetworkError(err('ENOTFOUND'), { host }).kind, 'resolve');
  assert.equal(classifyNetworkError(err('ECONNREFUSED'), { host }).kind, 'connect');
  assert.equal(classifyNetworkError(err('EHOSTUNREACH'), { host }).kind, 'connect');
  const connectTimeout = classifyNetworkError(err('UND_ERR_CONNECT_TIMEOUT'), { host });
  assert.deepEqual([connectTimeout.kind, connectTimeout.stage], ['timeout', 'connect']);
  assert.equal(classifyNetworkError(err('CERT_HAS_EXPIRED'), { host }).reason, 'expired');
  assert.equal(classifyNetworkError(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), { host }).reason, 'clientCertRefused');
  // The wrapped cause is what counts (undici wraps Node's errors).
  assert.equal(classifyNetworkError(Object.assign(new Error('fetch failed'), { cause: err('SELF_SIGNED_CERT_IN_CHAIN') }), { host }).reason, 'untrusted');
  const viaProxy = { host, viaProxy: { host: 'proxy.local:3128' } };
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']) {
    const e = classifyNetworkError(err(code), viaProxy);
    assert.equal(e.kind, 'proxy', code);
    assert.match(e.message, /proxy/);
  }
  const tunnel = classifyNetworkError(err('UND_ERR_ABORTED', 'Proxy response (502) !== 200 when HTTP Tunneling'), viaProxy);
  assert.deepEqual([tunnel.kind, tunnel.status], ['proxy', 502]);
  // A connection closed right after a certificate request is a refused client certificate.
  const closed = classifyNetworkError(err('UND_ERR_SOCKET', 'other side closed'), { host, closedAfterCertificateRequest: { certificateSent: false } });
  assert.deepEqual([closed.kind, closed.reason], ['tls', 'clientCertRefused']);
  assert.equal(classifyNetworkError(err('UND_ERR_SOCKET', 'other side closed'), { host }).kind, 'connect');
});

test('proxy credentials become a Basic token and never stay in the URL', () => {
  const p = parseProxyUrl('http://svc%40corp:p%3Ass@proxy.local:3128');
  assert.equal(p.uri, 'http://proxy.local:3128/');
  assert.equal(p.display, 'proxy.local:3128');
  assert.equal(p.token, `Basic ${Buffer.from('svc@corp:p:ss').toString('base64')}`);
  assert.throws(() => parseProxyUrl('socks5://u:secret@proxy:1080'), (e: Error) => !e.message.includes('secret'));
});
