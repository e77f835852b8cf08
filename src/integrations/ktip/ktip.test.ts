import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../platform/log/index.ts';
import { createOutboundClient } from '../../platform/outbound/index.ts';
import { startKtipSimulator, type KtipSimulator } from '../../../simulators/ktip/index.ts';
import type { ConnectorContext } from '../framework/contract.ts';
import { validateAgainst } from '../framework/validate.ts';
import { KtipClient, KtipError, ktipConnector, normalizeValue, type KtipConfig } from './index.ts';
import { CircuitBreakers } from './breaker.ts';
import { cacheTtlMs } from './settings.ts';

// The connector against the simulator, without a database: routing and encoding as the
// simulator received them, error words, retries, the circuit breaker and check connection.
const logLines: string[] = [];
const logger = createLogger('debug', new Writable({ write: (c, _e, done) => (logLines.push(String(c)), done()) }));
const http = createOutboundClient({ logger });
let tokenSeq = 0;
/** A fresh token per test keeps the process-wide breaker state of one test out of another. */
const freshToken = () => `tok-${process.pid}-${++tokenSeq}-canary-Zq9`;

function ctxFor(sim: KtipSimulator, config: Partial<KtipConfig>, token = freshToken()): ConnectorContext<KtipConfig, { token: string }> {
  const full = validateAgainst<KtipConfig>(ktipConnector.configSchema, { baseUrl: sim.url, ...config }, 'config');
  return { instance: { id: 'i1', tenantId: 't1', name: 'TIP', type: 'ktip' }, config: full, secrets: { token }, logger, http, signal: new AbortController().signal };
}

describe('ktip client against the simulator', () => {
  let sim: KtipSimulator;
  before(async () => {
    sim = await startKtipSimulator({ quota: 1000 });
  });
  after(async () => {
    await sim.close();
    await http.close();
  });

  const cases = [
    { type: 'domain', value: 'evil.example.com', kind: 'domain' },
    { type: 'ip', value: '6.6.6.6', kind: 'ip' },
    { type: 'md5', value: '0f343b0931126a20f133d67c2b018a3b', kind: 'hash' },
    { type: 'sha256', value: 'a'.repeat(64), kind: 'hash' },
    { type: 'url', value: 'https://evil.example.com/p ath/?q=1&r=ü#frag', kind: 'url' },
  ] as const;

  test('OpenTIP: each type reaches /api/v1/search/<kind>?request=<percent-encoded value> with x-api-key', async () => {
    for (const c of cases) {
      const ctx = ctxFor(sim, { service: 'openTip' });
      const before = sim.calls.count;
      const answer = await new KtipClient(ctx).lookup(c.type, c.value);
      assert.equal(sim.calls.count, before + 1);
      const seen = sim.calls.log.at(-1)!;
      assert.equal(seen.path, `/api/v1/search/${c.kind}`);
      assert.equal(seen.query, new URLSearchParams({ request: c.value }).toString());
      assert.equal(seen.value, c.value);
      assert.equal(seen.apiKey, ctx.secrets.token);
      assert.equal(answer.enrichment.source, 'Kaspersky OpenTIP');
      assert.equal(answer.enrichment.portalUrl, `${sim.url}/${encodeURIComponent(c.value)}/results?tab=lookup`);
      assert.equal(answer.statusUpdate, undefined);
    }
  });

  test('TIP: each type reaches /api/<kind>/<encodeURIComponent(value)>?format=json', async () => {
    for (const c of cases) {
      const ctx = ctxFor(sim, { service: 'tipGeneral' });
      await new KtipClient(ctx).lookup(c.type, c.value);
      const seen = sim.calls.log.at(-1)!;
      assert.equal(seen.path, `/api/${c.kind}/${encodeURIComponent(c.value)}`);
      assert.equal(seen.query, 'format=json');
      assert.equal(seen.value, c.value);
    }
    // The URL's own slashes, ? and # are encoded inside one path segment.
    assert.match(sim.calls.log.at(-1)!.path, /^\/api\/url\/https%3A%2F%2Fevil\.example\.com%2Fp%20ath%2F%3Fq%3D1%26r%3D%C3%BC%23frag$/);
  });

  test('responses map to zone, verdict, categories and the key facts of each type', async () => {
    const ctx = ctxFor(sim, { service: 'tipGeneral' });
    const client = new KtipClient(ctx);
    const domain = (await client.lookup('domain', 'evil.example.com')).enrichment;
    assert.deepEqual([domain.zone, domain.verdict, domain.categories], ['Red', 'Dangerous', ['Malware']]);
    assert.equal(domain.keyFacts.registrar, 'Example Registrar');
    const hash = (await client.lookup('md5', '0f343b0931126a20f133d67c2b018a3b')).enrichment;
    assert.deepEqual([hash.zone, hash.verdict], ['Red', 'Malware']);
    assert.deepEqual(hash.categories, ['HEUR:Trojan.Win32.Generic']);
    assert.equal(hash.keyFacts.md5, '0f343b0931126a20f133d67c2b018a3b');
    const ip = await client.lookup('ip', '10.1.2.3');
    assert.deepEqual([ip.enrichment.zone, ip.enrichment.verdict, ip.enrichment.keyFacts.status], ['Grey', 'Reserved address', 'reserved']);
    assert.equal(ip.license?.dayQuota, 1000);
    assert.equal(ip.license?.tokenExpiresAt, '2027-11-28T00:00:00Z');
    const url = (await client.lookup('url', 'http://ok.example.org/index.html')).enrichment;
    assert.deepEqual([url.zone, url.verdict, url.keyFacts.host], ['Green', 'Good', 'ok.example.org']);
    assert.equal(url.portalUrl, `${sim.url}/search?searchString=${encodeURIComponent('http://ok.example.org/index.html')}`);
  });

  test('a 2,000+ character URL: OpenTIP gets it whole; TIP (HTTP 414 above 2,000) is not asked', async () => {
    const long = `https://long.example.com/${'a/b?c=d&'.repeat(320)}end`;
    assert.ok(long.length > 2500);
    const open = await new KtipClient(ctxFor(sim, { service: 'openTip' })).lookup('url', long);
    assert.equal(sim.calls.log.at(-1)!.value, long);
    assert.equal(open.enrichment.keyFacts.host, 'long.example.com');
    const before = sim.calls.count;
    await assert.rejects(new KtipClient(ctxFor(sim, { service: 'tipGeneral' })).lookup('url', long), (err: KtipError) => err.kind === 'tooLong' && /longer than 2000 characters/.test(err.message));
    assert.equal(sim.calls.count, before, 'no request spent on a URL TIP refuses');
    // The simulator itself answers 414, as TIP documents, should a client send one.
    const direct = await fetch(`${sim.url}/api/url/${encodeURIComponent(long)}`, { headers: { 'x-api-key': freshToken() } });
    assert.equal(direct.status, 414);
  });

  test('Premium: the lookup also yields the Status update; the status refresh spends no quota', async () => {
    const ctx = ctxFor(sim, { service: 'tipPremium' });
    const client = new KtipClient(ctx);
    const full = await client.lookup('domain', 'phish.example.net');
    assert.equal(full.statusUpdate?.zone, 'Orange');
    assert.equal(full.license?.dayRequests, 1);
    const status = await client.status('domain', 'phish.example.net');
    assert.equal(status?.zone, 'Orange');
    const seen = sim.calls.log.at(-1)!;
    assert.deepEqual([seen.query, seen.counted], ['format=json&sections=Zone', false]);
    assert.equal((await client.lookup('domain', 'other.example.net')).license?.dayRequests, 2, 'the status refresh did not count');
    assert.equal(await new KtipClient(ctxFor(sim, { service: 'tipGeneral' })).status('domain', 'x.example'), null);
  });

  test('401 says the token is invalid or expired; OpenTIP 403 says until when the quota is exhausted', async () => {
    const bad = ctxFor(sim, { service: 'openTip' }, 'expired-token-canary-Zq9');
    await assert.rejects(new KtipClient(bad).lookup('domain', 'a.example'), (err: KtipError) => err.kind === 'auth' && err.message === 'Kaspersky OpenTIP: token invalid or expired: replace it');
    const limited = await startKtipSimulator({ quota: 1 });
    try {
      const ctx = ctxFor(limited, { service: 'openTip' });
      await new KtipClient(ctx).lookup('domain', 'a.example');
      const err = await new KtipClient(ctx).lookup('domain', 'b.example').then(() => null, (e: KtipError) => e);
      assert.ok(err instanceof KtipError);
      assert.equal(err.kind, 'quota');
      assert.match(err.message, /^Kaspersky OpenTIP: quota exhausted until \d{4}-\d\d-\d\dT00:00:00\.000Z$/);
      assert.ok(err.quotaExhaustedUntil! > Date.now());
      // TIP: over quota is a 403 with LicenseInfo, also read as the quota.
      const tip = ctxFor(limited, { service: 'tipGeneral' });
      await new KtipClient(tip).lookup('ip', '8.8.8.8');
      await assert.rejects(new KtipClient(tip).lookup('ip', '8.8.4.4'), (e: KtipError) => e.kind === 'quota' && /quota exhausted until/.test(e.message));
    } finally {
      await limited.close();
    }
  });

  test('429 and 5xx are retried with backoff; persistent failure opens the circuit', async () => {
    const ctx = ctxFor(sim, { service: 'openTip' });
    sim.failNext(503, 2);
    const before = sim.calls.count;
    const ok = await new KtipClient(ctx).lookup('domain', 'retry.example');
    assert.equal(ok.enrichment.zone, 'Green');
    assert.equal(sim.calls.count, before + 3, 'two retries, then the answer');

    sim.failNext(429, 1000);
    const start = sim.calls.count;
    const errors: KtipError[] = [];
    for (let i = 0; i < 8; i++) errors.push(await new KtipClient(ctx).lookup('domain', `x${i}.example`).then(() => assert.fail('should fail'), (e: KtipError) => e));
    // Five failed lookups (three attempts each: bounded) open the circuit; the rest send nothing.
    assert.equal(sim.calls.count - start, 5 * 3);
    assert.deepEqual(errors.slice(0, 5).map((e) => e.kind), Array(5).fill('unavailable'));
    assert.match(errors[4].message, /rate limiting \(HTTP 429\)/);
    assert.deepEqual(errors.slice(5).map((e) => e.kind), Array(3).fill('circuitOpen'));
    assert.match(errors[5].message, /kept failing: calls are paused until/);
    sim.failNext(200, 0);
    // Another credential is not affected by this one's open circuit.
    assert.equal((await new KtipClient(ctxFor(sim, { service: 'openTip' })).lookup('domain', 'y.example')).enrichment.zone, 'Green');
  });

  test('check connection: authentication, quota and network state', async () => {
    const tip = await ktipConnector.check(ctxFor(sim, { service: 'tipGeneral' }));
    assert.equal(tip.ok, true, tip.message);
    assert.match(tip.message, /^Kaspersky TIP \(General access\): authenticated \(direct\); 0 of 1000 requests used today; the token expires 2027-11-28T00:00:00Z$/);
    assert.equal(tip.details?.remaining, 1000);
    assert.equal(sim.calls.log.at(-1)!.query, 'format=json&sections=LicenseInfo');
    const open = await ktipConnector.check(ctxFor(sim, { service: 'openTip' }));
    assert.deepEqual([open.ok, open.details?.network], [true, 'direct']);
    const bad = await ktipConnector.check(ctxFor(sim, { service: 'openTip' }, 'invalid-token-canary-Zq9'));
    assert.deepEqual([bad.ok, bad.stage], [false, 'authenticate']);
    assert.match(bad.message, /token invalid or expired: replace it/);
    const down = await ktipConnector.check(ctxFor(sim, { service: 'openTip', baseUrl: 'http://127.0.0.1:1' }));
    assert.deepEqual([down.ok, down.stage], [false, 'connect']);
  });

  test('the token never appears in errors or log lines', async () => {
    const token = 'SECRET-canary-token-7f3a9d';
    const ctx = ctxFor(sim, { service: 'openTip' }, token);
    sim.failNext(503, 3);
    const e1 = await new KtipClient(ctx).lookup('domain', 'z.example').catch((e: Error) => e);
    const e2 = await new KtipClient(ctxFor(sim, { service: 'openTip', baseUrl: 'http://127.0.0.1:1' }, token)).lookup('domain', 'z.example').catch((e: Error) => e);
    for (const e of [e1, e2]) {
      assert.ok(e instanceof Error);
      assert.ok(!e.message.includes(token) && !String(e.stack).includes(token));
    }
    assert.ok(!logLines.join('').includes(token));
    assert.ok(logLines.length > 0, 'retries were logged');
  });
});

describe('ktip settings and values', () => {
  test('normalization: hashes lower-case, IPs canonical, domains ASCII without the final dot', () => {
    assert.equal(normalizeValue('md5', ' 0F343B0931126A20F133D67C2B018A3B '), '0f343b0931126a20f133d67c2b018a3b');
    assert.equal(normalizeValue('md5', 'xyz'), null);
    assert.equal(normalizeValue('sha256', 'a'.repeat(63)), null);
    assert.equal(normalizeValue('ip', '2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalizeValue('ip', '::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeValue('ip', '127.1'), null);
    assert.equal(normalizeValue('domain', 'Bücher.Example.'), 'xn--bcher-kva.example');
    assert.equal(normalizeValue('domain', 'localhost'), null);
    assert.equal(normalizeValue('url', 'https://Example.com/CaseKept'), 'https://Example.com/CaseKept');
  });

  test('cache TTL: days, hours, unlimited; default 7 days', () => {
    assert.equal(cacheTtlMs({ value: 2, unit: 'days' }), 2 * 86_400_000);
    assert.equal(cacheTtlMs({ value: 3, unit: 'hours' }), 3 * 3_600_000);
    assert.equal(cacheTtlMs({ value: null, unit: 'days' }), Infinity);
    const config = validateAgainst<KtipConfig>(ktipConnector.configSchema, {}, 'config');
    assert.deepEqual(config.cacheTtl, { value: 7, unit: 'days' });
    assert.throws(() => validateAgainst(ktipConnector.configSchema, { cacheTtl: { value: 0, unit: 'days' } }, 'config'), /cacheTtl/);
    assert.throws(() => validateAgainst(ktipConnector.configSchema, { service: 'tipGold' }, 'config'), /service/);
  });

  test('the breaker half-opens after its cool-down (one probe) and closes on success', () => {
    let t = 1_000;
    const b = new CircuitBreakers({ threshold: 3, coolDownMs: 500, now: () => t });
    for (let i = 0; i < 2; i++) b.failure('k');
    assert.equal(b.blockedUntil('k'), null, 'below the threshold');
    b.failure('k');
    assert.equal(b.blockedUntil('k'), 1_500);
    t = 1_600;
    assert.equal(b.blockedUntil('k'), null, 'the probe may go');
    assert.equal(b.blockedUntil('k'), 1_600, 'only one probe at a time');
    b.failure('k');
    assert.equal(b.blockedUntil('k'), 2_100, 'a failed probe re-opens it');
    t = 2_200;
    assert.equal(b.blockedUntil('k'), null);
    b.success('k');
    assert.equal(b.blockedUntil('k'), null);
    assert.equal(b.blockedUntil('other'), null);
  });
});
