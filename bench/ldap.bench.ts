// Active Directory against a real Samba AD DC (test/support/samba.ts): account look-ups per
// second with pooled, already-bound connections versus a fresh connect + TLS + bind per
// look-up (the baseline, same run), and the p99 of a block action end to end through
// IntegrationsService.runAction (vault, database, connector, DC).
import { startTestApp } from '../test/support/app.ts';
import { sambaUnavailable, startSamba } from '../test/support/samba.ts';
import { closeAllLdapSessions, search, withSession, type Ctx } from '../src/integrations/ldap/client.ts';
import { accountQuery } from '../src/integrations/ldap/identity.ts';
import { lookup } from '../src/integrations/ldap/account.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { percentile, type BenchRow } from './lib.ts';

const SUITE = 'ldap';
const LOOKUPS = 300;
const BLOCKS = 100;

export default async function (): Promise<BenchRow[]> {
  const reason = sambaUnavailable();
  if (reason) return [{ suite: SUITE, name: 'skipped', value: NaN, unit: '', note: reason }];
  const dc = await startSamba();
  try {
    await dc.createUser('svc', 'Svc#Bench-Pass1');
    await dc.tool('group', 'addmembers', 'Domain Admins', 'svc');
    await dc.createUser('target', 'Target#Pass1', { mail: 'target@corp.example' });
    const config = { domainControllers: ['localhost'], tlsMode: 'ldaps' as const, allowInsecurePlain: false, caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 10 };
    const ctx: Ctx = {
      instance: { id: 'bench-ldap', tenantId: 'bench', name: 'AD', type: 'ldap' },
      config,
      secrets: { bindPassword: 'Svc#Bench-Pass1' },
      logger: createLogger('silent'),
      http: undefined as never, // LDAP does not use HTTP
      signal: new AbortController().signal,
    };
    const query = accountQuery('target@corp.example');
    const find = (fresh: boolean) => withSession(ctx, (s) => search(s, dc.baseDn, query.filter, { attributes: ['sAMAccountName', 'userAccountControl', 'memberOf'], sizeLimit: 2 }), { fresh });
    const rate = async (n: number, op: () => Promise<unknown>) => {
      await op();
      const start = performance.now();
      for (let i = 0; i < n; i++) await op();
      return n / ((performance.now() - start) / 1000);
    };
    const fresh = await rate(LOOKUPS / 3, () => find(true));
    const pooled = await rate(LOOKUPS, () => find(false));
    const action = await rate(LOOKUPS, () => lookup(ctx, { kind: 'account', value: 'target@corp.example' }));
    const concurrent = await (async () => {
      const start = performance.now();
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < LOOKUPS / 4; i++) await find(false);
      }));
      return LOOKUPS / ((performance.now() - start) / 1000);
    })();
    closeAllLdapSessions();

    const t = await startTestApp('sqlite');
    let p99 = NaN;
    let p50 = NaN;
    try {
      const tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'bench' })).body.id;
      const created = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'ldap', name: 'AD', config, secrets: { bindPassword: 'Svc#Bench-Pass1' } });
      const id = created.body.id;
      const target = { kind: 'account' as const, value: 'target' };
      const times: number[] = [];
      for (let i = 0; i < BLOCKS; i++) {
        const start = performance.now();
        await t.app.services.integrations.runAction(tenantId, id, 'block', target, {});
        times.push(performance.now() - start);
        await t.app.services.integrations.runAction(tenantId, id, 'unblock', target, {});
      }
      p99 = percentile(times, 99);
      p50 = percentile(times, 50);
    } finally {
      closeAllLdapSessions();
      await t.close();
    }
    return [
      { suite: SUITE, name: 'look-ups, fresh connect+TLS+bind each (baseline)', value: fresh, unit: 'ops/s', note: 'Samba AD DC, LDAPS, loopback' },
      { suite: SUITE, name: 'look-ups, pooled bound connection', value: pooled, unit: 'ops/s', note: `${(pooled / fresh).toFixed(1)}x the baseline` },
      { suite: SUITE, name: 'lookup action (attributes+groups), pooled', value: action, unit: 'ops/s' },
      { suite: SUITE, name: 'look-ups, pooled, 4 concurrent callers', value: concurrent, unit: 'ops/s' },
      { suite: SUITE, name: 'block action end to end, p50', value: p50, unit: 'ms', note: 'runAction: vault + DB + search + modify' },
      { suite: SUITE, name: 'block action end to end, p99', value: p99, unit: 'ms', note: `${BLOCKS} blocks, each followed by an unblock` },
    ];
  } finally {
    await dc.stop();
  }
}
