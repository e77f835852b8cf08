import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AndFilter, EqualityFilter, OrFilter } from 'ldapts';
import { accountQuery, sidToBuffer, sidToString } from './identity.ts';
import { endpointsOf } from './settings.ts';
import { randomPassword, unicodePwd } from './password.ts';
import { adDataCode } from './errors.ts';
import { fileTime } from './account.ts';

// The pure parts of the AD connector: identifier detection and filters, SIDs, DC endpoints per
// TLS mode, passwords. The Samba test (ldap.test.ts) covers them against a real DC.

/** The value the filter compares against, per attribute (the filters are And/Or/Equality only). */
function valuesOf(f: unknown, out: Record<string, (string | Buffer)[]> = {}) {
  if (f instanceof EqualityFilter) (out[f.attribute] ??= []).push(f.value as string | Buffer);
  if (f instanceof AndFilter || f instanceof OrFilter) for (const x of f.filters) valuesOf(x, out);
  return out;
}

describe('account identifiers', () => {
  test('detects sAMAccountName, UPN/e-mail, DOMAIN\\user and SID', () => {
    assert.equal(accountQuery('alice').kind, 'sAMAccountName');
    assert.equal(accountQuery('alice@corp.example').kind, 'upnOrEmail');
    assert.deepEqual(valuesOf(accountQuery('alice@corp.example').filter), { objectCategory: ['person'], objectClass: ['user'], userPrincipalName: ['alice@corp.example'], mail: ['alice@corp.example'] });
    const down = accountQuery('CORP\\alice');
    assert.deepEqual([down.kind, down.value], ['downLevel', 'alice']);
    const sid = accountQuery('S-1-5-21-1004336348-1177238915-682003330-512');
    assert.equal(sid.kind, 'sid');
    assert.ok(Buffer.isBuffer(valuesOf(sid.filter).objectSid[0]));
  });

  test('SIDs round-trip between text and AD\'s binary form', () => {
    const text = 'S-1-5-21-1004336348-1177238915-682003330-512';
    const bin = sidToBuffer(text);
    assert.equal(bin.toString('hex'), '010500000000000515000000dcf4dc3b833d2b46828ba62800020000');
    assert.equal(sidToString(bin), text);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 15 }), (auth, subs) => {
      const s = `S-1-${auth}-${subs.join('-')}`;
      return sidToString(sidToBuffer(s)) === s;
    }));
  });

  test('values go into the filter verbatim: metacharacters are data, and render escaped', () => {
    for (const value of ['*)(uid=*', 'admin)(|(cn=*', '(x)', 'a\\b', '*']) {
      const q = accountQuery(value);
      assert.equal(q.kind, value.includes('\\') ? q.kind : 'sAMAccountName');
      const rendered = q.filter.toString();
      // Exactly the structure we built: three equality terms and no injected ones.
      assert.equal((rendered.match(/\(/g) ?? []).length, 4, rendered);
    }
    assert.equal(accountQuery('*)(uid=*').filter.toString(), '(&(objectCategory=person)(objectClass=user)(sAMAccountName=\\2a\\29\\28uid=\\2a))');
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && !/[\u0000-\u001f\u007f@\\]/.test(s) && !/^S-1-/i.test(s.trim())), (s) => {
      const v = valuesOf(accountQuery(s).filter).sAMAccountName;
      return v.length === 1 && v[0] === s.trim();
    }));
  });

  test('control characters (NUL) are refused: a DC would truncate the value at them', () => {
    for (const v of ['alice\0', '\0', 'a\nb', 'x\u007f']) assert.throws(() => accountQuery(v), /control characters/);
    assert.throws(() => accountQuery('   '), /empty/);
  });
});

describe('domain controller endpoints', () => {
  const base = { allowInsecurePlain: false };
  test('a bare host gets the TLS mode\'s scheme and port; order is kept', () => {
    assert.deepEqual(endpointsOf({ ...base, tlsMode: 'ldaps', domainControllers: ['dc1.corp', 'dc2.corp:3269', 'ldaps://10.0.0.3'] }).map((e) => e.url), ['ldaps://dc1.corp:636', 'ldaps://dc2.corp:3269', 'ldaps://10.0.0.3:636']);
    assert.deepEqual(endpointsOf({ ...base, tlsMode: 'starttls', domainControllers: ['dc1.corp', 'ldap://[::1]:1389'] }).map((e) => e.url), ['ldap://dc1.corp:389', 'ldap://[::1]:1389']);
  });
  test('plain needs explicit consent, and a scheme must agree with the mode', () => {
    assert.throws(() => endpointsOf({ ...base, tlsMode: 'plain', domainControllers: ['dc1'] }), /clear text.*Allow plain LDAP/);
    assert.equal(endpointsOf({ allowInsecurePlain: true, tlsMode: 'plain', domainControllers: ['dc1'] })[0].url, 'ldap://dc1:389');
    assert.throws(() => endpointsOf({ ...base, tlsMode: 'ldaps', domainControllers: ['ldap://dc1'] }), /make them agree/);
    assert.throws(() => endpointsOf({ ...base, tlsMode: 'starttls', domainControllers: ['ldaps://dc1'] }), /make them agree/);
    assert.throws(() => endpointsOf({ ...base, tlsMode: 'ldaps', domainControllers: ['http://dc1'] }), /ldap:\/\/ or ldaps:\/\//);
    assert.throws(() => endpointsOf({ ...base, tlsMode: 'ldaps', domainControllers: ['dc1/x?y'] }), /only a host and port/);
  });
});

describe('passwords', () => {
  test('random passwords have every class, the length asked, and avoid the account\'s name', () => {
    for (let i = 0; i < 300; i++) {
      const pw = randomPassword(12, ['ann', 'Ann Lee']);
      assert.equal(pw.length, 12);
      assert.match(pw, /[A-Z]/);
      assert.match(pw, /[a-z]/);
      assert.match(pw, /[0-9]/);
      assert.match(pw, /[^A-Za-z0-9]/);
      assert.ok(!pw.toLowerCase().includes('ann') && !pw.toLowerCase().includes('lee'));
    }
    assert.notEqual(randomPassword(), randomPassword());
  });
  test('unicodePwd is UTF-16LE of the quoted password', () => {
    assert.equal(unicodePwd('Ab1!').toString('hex'), '22004100620031002100' + '2200');
    assert.equal(unicodePwd('пароль').toString('utf16le'), '"пароль"');
  });
});

describe('AD answers', () => {
  test('the data code of a failed bind, and FILETIME dates', () => {
    assert.equal(adDataCode(new Error('80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 533, v4563 Code: 0x31')), '533');
    assert.equal(adDataCode(new Error('no data here')), undefined);
    assert.equal(fileTime('0'), null);
    assert.equal(fileTime('9223372036854775807'), null);
    assert.equal(fileTime('133000000000000000'), '2022-06-18T04:26:40.000Z');
  });
});
