import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'ldapts';
import { startTestApp, type TestApp } from '../../../test/support/app.ts';
import { sambaUnavailable, startSamba, type SambaDc } from '../../../test/support/samba.ts';
import { closeAllLdapSessions } from './client.ts';
import { adDataCode } from './errors.ts';

// The Active Directory connector end to end against a real AD: Samba's domain controller on
// loopback (reference/dependencies.md §6), through the HTTP API (settings, check) and
// IntegrationsService.runAction. One describe owns the DC: only one can run per machine.
const skip = sambaUnavailable();
const BIND_PASSWORD = 'Canary-Bind-Pw-7f3e9a1c';
const GIVEN_PASSWORD = 'Canary-Given-Pw-5d2b8e4!';

describe('Active Directory connector against a Samba AD DC', { skip }, () => {
  let dc: SambaDc;
  let t: TestApp;
  let tenantId: string;
  let ldaps: string;
  let quarantine: string;
  let staff: string;
  const results: unknown[] = [];
  const errors: string[] = [];

  const users = {
    alice: { pw: 'Alice#Pass1', mail: 'alice.smith@corp.example' },
    bob: { pw: 'Bob#Pass12', mail: 'bob@corp.example' },
    carol: { pw: 'Carol#Pass1', mail: 'carol@corp.example' },
    dave: { pw: 'Dave#Pass12', mail: 'dave@corp.example' },
    svc: { pw: BIND_PASSWORD, mail: 'svc@corp.example' },
  };

  /** The account's own bind: 'ok', or AD's data code (533 disabled, 773 must change, 52e wrong). */
  async function userBind(user: string, password: string): Promise<string> {
    const c = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caPem } });
    try {
      await c.bind(`${user}@xdr.test`, password);
      return 'ok';
    } catch (err) {
      return adDataCode(err) ?? String((err as { code?: number }).code);
    } finally {
      await c.unbind().catch(() => undefined);
    }
  }

  async function create(name: string, config: Record<string, unknown>, password = BIND_PASSWORD): Promise<string> {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations`, { type: 'ldap', name, config, secrets: { bindPassword: password } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  }

  async function run(instanceId: string, action: string, value: string, params: Record<string, unknown> = {}) {
    try {
      const r = await t.app.services.integrations.runAction(tenantId, instanceId, action, { kind: 'account', value }, params);
      results.push(r);
      return r;
    } catch (err) {
      errors.push((err as Error).message);
      throw err;
    }
  }

  before(async () => {
    dc = await startSamba();
    for (const [name, u] of Object.entries(users)) await dc.createUser(name, u.pw, { mail: u.mail, givenName: name, surname: 'Test' });
    quarantine = await dc.createGroup('xdr-quarantine');
    staff = await dc.createGroup('Staff (HQ)');
    // The service account acts with delegated rights: here, as a Domain Admin.
    await dc.tool('group', 'addmembers', 'Domain Admins', 'svc');
    t = await startTestApp('sqlite');
    tenantId = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'AD customer' })).body.id;
    ldaps = await create('AD (ldaps)', { domainControllers: ['localhost'], tlsMode: 'ldaps', caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 });
  });

  after(async () => {
    closeAllLdapSessions();
    await t?.close();
    await dc?.stop();
  });

  test('check connection binds, reads the base DN and reports the DC that answered', async () => {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${ldaps}/check`);
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(res.body.details.domainController, 'localhost');
    assert.equal(res.body.details.encrypted, true);
    assert.match(String(res.body.details.dnsHostName), /dc1\.xdr\.test/i);
  });

  test('check failures name their stage: TLS trust, credentials, base DN, plain without consent', async () => {
    const draft = (config: Record<string, unknown>, password = BIND_PASSWORD) =>
      t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, { type: 'ldap', config: { bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5, ...config }, secrets: { bindPassword: password } });
    const untrusted = await draft({ domainControllers: ['localhost'], tlsMode: 'ldaps' });
    assert.deepEqual([untrusted.body.ok, untrusted.body.stage], [false, 'tls'], JSON.stringify(untrusted.body));
    const wrong = await draft({ domainControllers: ['localhost'], tlsMode: 'ldaps', caCertificate: dc.caPem }, 'wrong-password');
    assert.deepEqual([wrong.body.ok, wrong.body.stage], [false, 'authenticate']);
    assert.match(wrong.body.message, /data 52e.*user name or password is wrong/);
    const base = await draft({ domainControllers: ['localhost'], tlsMode: 'ldaps', caCertificate: dc.caPem, baseDn: 'OU=Nowhere,DC=xdr,DC=test' });
    assert.equal(base.body.ok, false);
    assert.match(base.body.message, /check the base DN/);
    const plain = await draft({ domainControllers: ['localhost'], tlsMode: 'plain' });
    assert.deepEqual([plain.body.ok, plain.body.stage], [false, 'config']);
    const mismatch = await draft({ domainControllers: ['ldap://localhost:389'], tlsMode: 'ldaps', caCertificate: dc.caPem });
    assert.deepEqual([mismatch.body.ok, mismatch.body.stage], [false, 'config']);
    const starttls = await draft({ domainControllers: ['localhost'], tlsMode: 'starttls', caCertificate: dc.caPem, bindAccount: 'CN=svc,CN=Users,DC=xdr,DC=test' });
    assert.equal(starttls.body.ok, true, JSON.stringify(starttls.body));
    assert.equal(starttls.body.details.encrypted, true);
  });

  test('failover: the first DC is dead, the second answers', async () => {
    const res = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, {
      type: 'ldap',
      config: { domainControllers: ['127.0.0.1:1', 'ldaps://127.0.0.1:636'], tlsMode: 'ldaps', caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 },
      secrets: { bindPassword: BIND_PASSWORD },
    });
    assert.equal(res.body.ok, true, JSON.stringify(res.body));
    assert.equal(res.body.details.domainController, 'ldaps://127.0.0.1:636');
    const failover = await create('AD (failover)', { domainControllers: ['127.0.0.1:1', 'localhost'], tlsMode: 'ldaps', caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 });
    const r = await run(failover, 'lookup', 'bob');
    assert.equal(r.output?.domainController, 'localhost');
    const dead = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/check`, {
      type: 'ldap',
      config: { domainControllers: ['127.0.0.1:1', '127.0.0.1:2'], tlsMode: 'ldaps', caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 },
      secrets: { bindPassword: BIND_PASSWORD },
    });
    assert.deepEqual([dead.body.ok, dead.body.stage], [false, 'connect']);
    assert.match(dead.body.message, /no domain controller answered: 127\.0\.0\.1:1: .*; 127\.0\.0\.1:2: /);
  });

  test('lookup finds the account by sAMAccountName, UPN, e-mail, DOMAIN\\user and SID', async () => {
    const bySam = await run(ldaps, 'lookup', 'alice');
    const out = bySam.output!;
    assert.equal(out.found, true);
    assert.equal(out.matchedBy, 'sAMAccountName');
    assert.equal(out.dn, 'CN=alice,CN=Users,DC=xdr,DC=test');
    assert.equal(out.mail, users.alice.mail);
    assert.equal(out.enabled, true);
    assert.match(String(out.sid), /^S-1-5-21-\d+-\d+-\d+-\d+$/);
    const byUpn = await run(ldaps, 'lookup', 'alice@xdr.test');
    assert.deepEqual([byUpn.output!.matchedBy, byUpn.output!.dn], ['upn', out.dn]);
    const byMail = await run(ldaps, 'lookup', users.alice.mail);
    assert.deepEqual([byMail.output!.matchedBy, byMail.output!.dn], ['email', out.dn]);
    const byDownLevel = await run(ldaps, 'lookup', 'XDR\\alice');
    assert.equal(byDownLevel.output!.dn, out.dn);
    const bySid = await run(ldaps, 'lookup', String(out.sid));
    assert.deepEqual([bySid.output!.matchedBy, bySid.output!.dn], ['sid', out.dn]);
    const missing = await run(ldaps, 'lookup', 'nobody-here');
    assert.equal(missing.output!.found, false);
    assert.match(missing.summary, /no account/);
  });

  test('injection attempts in account names never match another account', async () => {
    const attempts = ['*', '*)(uid=*', 'admin)(|(cn=*', '*)(sAMAccountName=alice', 'alice)(|(objectClass=*', '(alice)', 'al\\2aice', 'al\\ice', 'ali*', '*@xdr.test', 'S-1-5-21-*', 'XDR\\*'];
    for (const value of attempts) {
      const r = await run(ldaps, 'lookup', value);
      assert.equal(r.output!.found, false, `${JSON.stringify(value)} matched ${r.output!.dn}`);
    }
    // The DC compares values as C strings ("alice\0" would be alice): NUL is refused up front.
    for (const value of ['alice\0', '\0', 'alice\0)(cn=*']) await assert.rejects(run(ldaps, 'lookup', value), /control characters/);
    await assert.rejects(run(ldaps, 'block', '*'), /no account/);
    assert.equal(await userBind('alice', users.alice.pw), 'ok');
  });

  test('block disables the account (its bind fails with data 533) and unblock restores it; repeats succeed', async () => {
    const blocked = await run(ldaps, 'block', 'bob@xdr.test');
    assert.equal(blocked.output!.changed, true);
    assert.match(blocked.summary, /bob blocked/);
    assert.equal(await userBind('bob', users.bob.pw), '533');
    const again = await run(ldaps, 'block', 'bob');
    assert.equal(again.output!.changed, false);
    assert.match(again.summary, /already blocked/);
    assert.equal((await run(ldaps, 'lookup', 'bob')).output!.enabled, false);
    const unblocked = await run(ldaps, 'unblock', 'bob');
    assert.equal(unblocked.output!.changed, true);
    assert.equal(await userBind('bob', users.bob.pw), 'ok');
    assert.equal((await run(ldaps, 'unblock', 'bob')).output!.changed, false);
  });

  test('reset password: given, random, weak (policy), must change at next logon (773), and over StartTLS', async () => {
    const given = await run(ldaps, 'resetPassword', 'carol', { password: GIVEN_PASSWORD });
    assert.equal(given.output!.generated, false);
    assert.equal(await userBind('carol', GIVEN_PASSWORD), 'ok');
    assert.equal(await userBind('carol', users.carol.pw), '52e');

    const random = await run(ldaps, 'resetPassword', 'carol', {});
    assert.equal(random.output!.generated, true);
    assert.equal(await userBind('carol', GIVEN_PASSWORD), '52e', 'the given password no longer works');

    await assert.rejects(run(ldaps, 'resetPassword', 'carol', { password: 'abc' }), /password policy refused the new password/);

    const must = await run(ldaps, 'resetPassword', 'dave', { password: 'Dave#Changed99', mustChangeAtNextLogon: true });
    assert.equal(must.output!.mustChangeAtNextLogon, true);
    assert.equal(await userBind('dave', 'Dave#Changed99'), '773');
    assert.equal((await run(ldaps, 'lookup', 'dave')).output!.mustChangePassword, true);

    const starttls = await create('AD (starttls)', { domainControllers: ['localhost:389'], tlsMode: 'starttls', caCertificate: dc.caPem, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 });
    await run(starttls, 'resetPassword', 'dave', { password: 'Dave#OverStartTls1' });
    // An administrator's reset stamps pwdLastSet with the reset time: the must-change flag is gone.
    assert.equal(await userBind('dave', 'Dave#OverStartTls1'), 'ok');
  });

  test('reset password is refused over plain LDAP, although this DC would accept it', async () => {
    const plain = await create('AD (plain)', { domainControllers: ['localhost:389'], tlsMode: 'plain', allowInsecurePlain: true, bindAccount: 'svc@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 });
    const check = await t.call('POST', `/api/v1/tenants/${tenantId}/integrations/${plain}/check`);
    assert.equal(check.body.ok, true, JSON.stringify(check.body));
    assert.equal(check.body.details.encrypted, false);
    // Look-ups work over the plain connection (so the refusal below is the client's, not the DC's) …
    assert.equal((await run(plain, 'lookup', 'alice')).output!.found, true);
    await assert.rejects(run(plain, 'resetPassword', 'alice', { password: 'Alice#NewOne42' }), /refused: .*plain LDAP/);
    assert.equal(await userBind('alice', users.alice.pw), 'ok');
    assert.equal(await userBind('alice', 'Alice#NewOne42'), '52e');
  });

  test('group add and remove by DN, with idempotent repeats', async () => {
    const added = await run(ldaps, 'addToGroup', 'alice', { groupDn: quarantine });
    assert.equal(added.output!.changed, true);
    const again = await run(ldaps, 'addToGroup', 'alice', { groupDn: quarantine });
    assert.equal(again.output!.changed, false);
    assert.match(again.summary, /already a member/);
    await run(ldaps, 'addToGroup', 'alice', { groupDn: staff });
    const groups = (await run(ldaps, 'lookup', 'alice')).output!.groups as { dn: string; name: string }[];
    assert.deepEqual(groups.map((g) => g.name).sort(), ['Staff (HQ)', 'xdr-quarantine']);
    const removed = await run(ldaps, 'removeFromGroup', 'alice', { groupDn: quarantine });
    assert.equal(removed.output!.changed, true);
    const notMember = await run(ldaps, 'removeFromGroup', 'alice', { groupDn: quarantine });
    assert.equal(notMember.output!.changed, false);
    assert.match(notMember.summary, /was not a member/);
    await assert.rejects(run(ldaps, 'addToGroup', 'alice', { groupDn: 'CN=No Such Group,CN=Users,DC=xdr,DC=test' }), /no group .*check the group DN/);
  });

  test('only security groups: a distribution group or a DN that is not a group is refused, membership untouched', async () => {
    await dc.tool('group', 'add', 'xdr-newsletter', '--group-type=Distribution');
    const newsletter = `CN=xdr-newsletter,CN=Users,${dc.baseDn}`;
    await assert.rejects(run(ldaps, 'addToGroup', 'alice', { groupDn: newsletter }), /is a distribution group, which grants no access/);
    await assert.rejects(run(ldaps, 'removeFromGroup', 'alice', { groupDn: newsletter }), /is a distribution group/);
    await assert.rejects(run(ldaps, 'addToGroup', 'alice', { groupDn: `CN=bob,CN=Users,${dc.baseDn}` }), /is not a group: give the DN of a security group/);
    const groups = (await run(ldaps, 'lookup', 'alice')).output!.groups as { name: string }[];
    assert.ok(!groups.some((g) => g.name === 'xdr-newsletter'), 'alice did not join the distribution group');
  });

  test('an account without rights gets an authorize-stage error in words', async () => {
    const weak = await create('AD (no rights)', { domainControllers: ['localhost'], tlsMode: 'ldaps', caCertificate: dc.caPem, bindAccount: 'alice@xdr.test', baseDn: dc.baseDn, timeoutSeconds: 5 }, users.alice.pw);
    await assert.rejects(run(weak, 'block', 'bob'), (err: any) => err.stage === 'authorize' && /insufficient access rights.*delegate/.test(err.message));
    assert.equal(await userBind('bob', users.bob.pw), 'ok');
  });

  test('secret canary: the bind password and given passwords appear in no result, error, log or API answer', async () => {
    const api = await t.call('GET', `/api/v1/tenants/${tenantId}/integrations/${ldaps}`);
    const haystack = JSON.stringify(results) + errors.join('\n') + t.logs.text() + JSON.stringify(api.body);
    assert.ok(results.length > 20 && t.logs.text().length > 0);
    for (const secret of [BIND_PASSWORD, GIVEN_PASSWORD, 'Dave#Changed99', Buffer.from(`"${GIVEN_PASSWORD}"`, 'utf16le').toString('base64')]) {
      assert.equal(haystack.includes(secret), false, 'a secret leaked');
    }
  });
});
