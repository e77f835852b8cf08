/**
 * `npm run demo`: xdrhub with every product simulator, an MSSP with two customers, a user of each
 * role, integrations pointing at the simulators, a few dozen realistic alerts and playbooks from
 * templates — everything in a throwaway data folder. Ctrl+C stops it and deletes nothing but that.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/platform/log/index.ts';
import { SYSTEM_ACTOR } from '../src/platform/actor.ts';
import type { Role } from '../src/access/permissions.ts';
import type { AlertInput } from '../src/alerts/types.ts';
import type { Tenant } from '../src/tenants/tenants.ts';
import { enrichAndRecord } from '../src/alerts/enrich.ts';
import { createTestCa } from '../test/support/tls.ts';
import { startHttpsRecorder } from '../test/support/https-server.ts';
import { startKtipSimulator } from '../simulators/ktip/index.ts';

export const DEMO_PASSWORD = process.env.XDRHUB_DEMO_PASSWORD ?? 'Demo-password-2024';
const port = Number(process.env.XDRHUB_PORT ?? 8080);
const closers: (() => Promise<unknown> | unknown)[] = [];
const notes: string[] = [];

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

async function optional<T>(what: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    notes.push(`${what}: skipped (${(err as Error).message.split('\n')[0]})`);
    return null;
  }
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-demo-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDRHUB_DATA_DIR: dataDir,
    XDRHUB_PORT: String(port),
    XDRHUB_MASTER_KEY: randomBytes(32).toString('base64'),
    XDRHUB_ADMIN_USERNAME: 'admin',
    XDRHUB_ADMIN_PASSWORD: DEMO_PASSWORD,
    XDRHUB_LOG_LEVEL: process.env.XDRHUB_LOG_LEVEL ?? 'warn',
  };
  delete env.XDRHUB_DATABASE_URL;
  const config = loadConfig(env);
  const app = await buildApp(config, { env, logger: createLogger(config.logLevel) });
  closers.push(() => app.close());
  const boot = await app.bootstrap();
  await app.startWorker();

  say('Starting the product simulators…');
  const ca = await createTestCa('xdrhub demo CA');
  const leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
  const sims = await startSimulators(ca.cert, leaf);

  const { services } = app;
  const S = SYSTEM_ACTOR;
  const root = await services.tenants.get(boot.rootId);

  // TIP on the MSSP before its customers exist: creating a child copies it (shown in Settings).
  const mssp = await services.tenants.create({ parentId: root.id, name: 'Acme SOC' }, S);
  await services.integrations.create(mssp, { type: 'ktip', name: 'Kaspersky OpenTIP', enabled: true, config: { service: 'openTip', baseUrl: sims.ktip.url }, secrets: { token: 'demo-ktip-token-0001' } }, S);
  await services.integrations.create(mssp, { type: 'webhook', name: 'SOAR blocklist', enabled: true, config: { url: `${sims.hook.url}/blocklist`, caCertificate: sims.hook.ca }, secrets: { headerValue: 'Bearer demo-webhook-secret' } }, S);
  const globex = await services.tenants.create({ parentId: mssp.id, name: 'Globex Corp' }, S);
  const initech = await services.tenants.create({ parentId: mssp.id, name: 'Initech' }, S);

  const add = (tenant: Tenant, type: string, name: string, cfg: Record<string, unknown>, secrets: Record<string, unknown>) =>
    optional(`${name} on ${tenant.name}`, () => services.integrations.create(tenant, { type, name, enabled: true, config: cfg, secrets }, S));
  if (sims.usergate) await add(globex, 'usergate', 'UserGate NGFW', { address: sims.usergate.url, username: 'xdr' }, { password: 'demo-firewall-pw' });
  if (sims.checkpoint) await add(globex, 'checkpoint', 'Check Point HQ', { address: sims.checkpoint.url, username: 'xdr' }, { password: 'demo-firewall-pw' });
  if (sims.kasap) await add(globex, 'kasap', 'KASAP awareness', { openapiUrl: sims.kasap.url, adminEmail: 'security@globex.example', caCertificate: ca.cert }, { token: 'demo-kasap-token-0001' });
  if (sims.redmine) await add(globex, 'redmine', 'Redmine tickets', { url: sims.redmine.url, project: 'soc' }, { apiKey: '0123456789abcdef0123456789abcdef01234567' });
  if (sims.sophos) await add(initech, 'sophos', 'Sophos XGS', { address: sims.sophos.url, username: 'xdr' }, { password: 'demo-firewall-pw' });
  if (sims.idecoNgfw) await add(initech, 'ideco-ngfw', 'Ideco NGFW', { address: sims.idecoNgfw.url, caCertificate: ca.cert }, { login: 'admin', password: 'demo-ideco-pw' });
  if (sims.idecoUtm) await add(initech, 'ideco-utm', 'Ideco UTM', { address: sims.idecoUtm.url, caCertificate: ca.cert }, { login: 'admin', password: 'demo-ideco-pw' });
  if (sims.kata && services.registry.get('kata')) {
    const kata = await add(globex, 'kata', 'KATA / KEDR', { host: '127.0.0.1', port: sims.kata.port, caCertificate: ca.cert }, {});
    if (kata) await optional('KATA identity', () => services.integrations.runAction(globex.id, kata.id, 'generateIdentity', { kind: 'none', value: '' }, {}));
  }

  // A user of each role (on the MSSP, so they see both customers), one shared password.
  const roles: [string, Role, string][] = [
    ['tenant.admin', 'tenantAdmin', 'Tenant administrator'],
    ['soc.admin', 'socAdmin', 'SOC administrator'],
    ['soc.manager', 'socManager', 'SOC manager'],
    ['junior', 'junior', 'Junior analyst'],
    ['analyst1', 'tier1', 'Tier 1 analyst'],
    ['analyst2', 'tier2', 'Tier 2 analyst'],
    ['approver', 'approver', 'Approver'],
    ['observer', 'observer', 'Observer'],
  ];
  const users: Record<string, { id: string; name: string }> = {};
  for (const [username, role, title] of roles) {
    const { user } = await services.access.createUser(mssp, { username, displayName: title, password: DEMO_PASSWORD }, S);
    await services.access.grantAsSystem(user.id, mssp.id, role);
    users[username] = { id: user.id, name: username };
  }

  // Playbooks from the templates, before the alerts arrive: Globex's firewall playbook is enabled in
  // training mode, so its matches wait in Playbook runs for an approver; the others are ready to adapt.
  const templates = services.playbooks.templates();
  for (const [i, t] of templates.slice(0, 2).entries()) {
    await optional(`playbook ${t.id}`, () => services.playbooks.createFromTemplate(i === 0 ? globex : mssp, t.id, { enabled: i === 0 }, S));
  }

  // Alerts: a few dozen, realistic, spread over both customers.
  const created = { [globex.id]: await services.alerts.createAlerts(globex.id, sampleAlerts('globex'), S), [initech.id]: await services.alerts.createAlerts(initech.id, sampleAlerts('initech'), S) };
  const total = Object.values(created).reduce((n, l) => n + l.length, 0);

  // Enrich the first alerts so the Enrichment column is filled; the rest wait for "Enrich now".
  for (const [tenantId, list] of Object.entries(created)) {
    for (const a of list.slice(0, 4)) {
      const details = await services.alerts.get(tenantId, a.id);
      await optional('enrichment', () => enrichAndRecord(services.alerts, services.enrichment, tenantId, details.observables.map((o) => ({ type: o.type, value: o.value }))));
    }
  }

  // Triage on a few alerts, a response action done and one waiting for the approver.
  const analyst = { kind: 'user' as const, id: users.analyst1.id, name: users.analyst1.name };
  const [g0, g1, g2] = created[globex.id];
  await services.alerts.update(globex.id, g1.id, { status: 'inProgress', assigneeId: analyst.id }, analyst);
  await services.alerts.comment(globex.id, 'alert', g1.id, 'Beaconing confirmed in proxy logs; blocking the C2 address.', analyst);
  await services.alerts.update(globex.id, g2.id, { status: 'closed', resolution: 'falsePositive' }, analyst);
  const hook = (await services.integrations.list(globex, { type: 'webhook', limit: 1, offset: 0 })).items[0];
  if (hook) {
    const g0d = await services.alerts.get(globex.id, g0.id);
    const ips = g0d.observables.filter((o) => o.type === 'ip').map((o) => o.id);
    await optional('a response action', () => services.response.launch(globex.id, { instanceId: hook.id, action: 'addToBlocklist', params: { list: 'c2-servers' }, alertId: g0.id, observableIds: ips.slice(0, 1) }, analyst));
    await optional('an approval', () => services.response.launch(globex.id, { instanceId: hook.id, action: 'addToBlocklist', params: { list: 'c2-servers' }, alertId: g0.id, observableIds: ips.slice(1, 2).length ? ips.slice(1, 2) : ips.slice(0, 1), approval: { required: true, windowMinutes: 240 } }, analyst));
  }


  await app.http.listen({ port, host: config.host });
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  say('');
  say('xdrhub demo is running.');
  say(`  Console:  ${url}/   (API docs: ${url}/api/docs)`);
  say(`  Password for every demo user: ${DEMO_PASSWORD}`);
  say(`  admin          Main administrator (Root)`);
  for (const [username, , title] of roles) say(`  ${username.padEnd(14)} ${title} (Acme SOC and its customers)`);
  say(`  Tenants:  Root → Acme SOC (MSSP) → Globex Corp, Initech; ${total} alerts`);
  say(`  Simulators: ${Object.entries(sims).filter(([, v]) => v).map(([k]) => k).join(', ')}`);
  for (const n of notes) say(`  note: ${n}`);
  say('  Try: sign in as analyst1 → Alerts → an alert → Observables → Enrich now → select → Respond…;');
  say('       then sign in as approver → Approvals. Globex → a phishing alert → Assets → Training (KASAP)');
  say('       shows the account\'s courses and Assign KASAP group…; admin → Settings → Users. Ctrl+C stops everything.');
  say(`  Data folder (deleted on exit): ${dataDir}`);
  closers.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
}

type Pem = { cert: string; key: string };
async function startSimulators(caCert: string, tls: Pem) {
  const ktip = await startKtipSimulator({});
  closers.push(() => ktip.close());
  const hook = await startHttpsRecorder();
  closers.push(() => hook.close());
  // Every other simulator is optional: the demo runs with whichever exist.
  const load = async (dir: string) => optional(`simulator ${dir}`, () => import(`../simulators/${dir}/index.ts`) as Promise<Record<string, any>>);
  const start = async (dir: string, fn: string, opts: unknown) => {
    const mod = await load(dir);
    if (!mod?.[fn]) return null;
    const sim = await optional(`simulator ${dir}`, async () => mod[fn](opts));
    if (sim?.close) closers.push(() => sim.close());
    return sim as { url: string; port?: number; close(): Promise<void>; [k: string]: any } | null;
  };
  void caCert;
  return {
    ktip,
    hook,
    usergate: await start('usergate', 'startUsergateSimulator', { users: { xdr: 'demo-firewall-pw' } }),
    checkpoint: await start('checkpoint', 'startCheckpointSimulator', { users: { xdr: 'demo-firewall-pw' } }),
    sophos: await start('sophos', 'startSophosSimulator', { users: { xdr: 'demo-firewall-pw' } }),
    idecoNgfw: await start('ideco', 'startIdecoSimulator', { variant: 'ngfw', tls, users: { admin: 'demo-ideco-pw' } }),
    idecoUtm: await start('ideco', 'startIdecoSimulator', { variant: 'utm', tls, users: { admin: 'demo-ideco-pw' } }),
    kasap: await start('kasap', 'startKasapSimulator', { tls }).then(async (s) => {
      s?.addToken?.('demo-kasap-token-0001');
      // The Globex phishing alerts name j.smith, m.jones and a.kumar: the first two have training to
      // show in an account's "Training (KASAP)" panel, a.kumar is "not found in KASAP".
      s?.addUser?.({
        email: 'j.smith@globex.example', fullName: 'John Smith', groupId: 'grp-beginners',
        courses: [
          { courseId: 'c-email', status: 'completed', progress: 100, completedAt: '2026-09-14T09:30:00Z' },
          { courseId: 'c-passwords', status: 'inProgress', progress: 45 },
        ],
        certificates: [{ id: 'cert-js-1', courseId: 'c-email', issuedAt: '2026-09-14T09:30:00Z' }],
      });
      s?.addUser?.({ email: 'm.jones@globex.example', fullName: 'Mary Jones', groupId: 'grp-advanced', courses: [{ courseId: 'c-web', status: 'inProgress', progress: 70 }, { courseId: 'c-social', status: 'planned', progress: 0 }] });
      return s;
    }),
    redmine: await start('redmine', 'startRedmineSimulator', {}),
    kata: await start('kata', 'startKataSimulator', { tls, autoApprove: true, sensors: [{ sensorId: 'a3c1e2f0-0000-4000-8000-000000000042', hostName: 'ws-fin-042.globex.example', ip: '10.20.1.42' }] }),
  };
}

function sampleAlerts(customer: 'globex' | 'initech'): AlertInput[] {
  const domain = customer === 'globex' ? 'globex.example' : 'initech.example';
  const hosts = ['ws-fin-042', 'ws-hr-007', 'srv-file-01', 'ws-dev-113', 'srv-dc-02', 'ws-sales-021'];
  const people = ['j.smith', 'm.jones', 'a.kumar', 'l.chen', 'p.novak', 'r.garcia'];
  const now = Date.now();
  const kinds: ((i: number) => Omit<AlertInput, 'source' | 'sourceId'>)[] = [
    (i) => ({ title: 'Outbound connection to a known C2 server', severity: 'critical', rules: ['C2 beaconing'], tactics: ['command-and-control'], techniques: ['T1071.001'],
      observables: [{ type: 'ip', value: `6.6.6.${10 + i}` }, { type: 'ip', value: `185.220.101.${i + 3}` }, { type: 'domain', value: `update-evil-cdn${i}.com` }],
      assets: [{ kind: 'host', name: `${hosts[i % 6]}.${domain}`, role: 'victim', ips: [`10.20.1.${40 + i}`], os: 'Windows 11' }] }),
    (i) => ({ title: 'Phishing e-mail with a credential-harvesting link', severity: 'high', rules: ['Phishing URL clicked'], tactics: ['initial-access'], techniques: ['T1566.002'],
      observables: [{ type: 'url', value: `https://login-phish-portal${i}.net/office365/auth` }, { type: 'email', value: `it-support@phish-mail${i}.net` }, { type: 'domain', value: `login-phish-portal${i}.net` }],
      assets: [{ kind: 'account', login: people[i % 6], role: 'victim', email: `${people[i % 6]}@${domain}`, domain: customer.toUpperCase() }] }),
    (i) => ({ title: 'Malicious file executed from the Downloads folder', severity: 'high', rules: ['Known malware hash'], tactics: ['execution'], techniques: ['T1204.002'],
      observables: [{ type: 'sha256', value: `0${i}${'a1b2c3d4e5f6'.repeat(5)}0a2b`.slice(0, 64) }, { type: 'md5', value: `2${i}${'9f8e7d6c5b4a'.repeat(3)}`.slice(0, 32) }, { type: 'filePath', value: `C:\\Users\\${people[i % 6]}\\Downloads\\invoice_${1000 + i}.exe` }],
      assets: [{ kind: 'host', name: `${hosts[(i + 1) % 6]}.${domain}`, role: 'attacker', ips: [`10.20.2.${10 + i}`], os: 'Windows 10' }, { kind: 'account', login: people[(i + 1) % 6], domain: customer.toUpperCase() }] }),
    (i) => ({ title: 'Brute force against VPN accounts', severity: 'medium', rules: ['Many failed logons'], tactics: ['credential-access'], techniques: ['T1110.001'],
      observables: [{ type: 'ip', value: `45.155.205.${100 + i}` }, { type: 'userName', value: people[(i + 2) % 6] }],
      assets: [{ kind: 'account', login: people[(i + 2) % 6], role: 'victim', domain: customer.toUpperCase() }] }),
    (i) => ({ title: 'Adware browser extension installed', severity: 'low', rules: ['Potentially unwanted application'], tactics: ['persistence'], techniques: ['T1176'],
      observables: [{ type: 'domain', value: `adware-toolbar${i}.info` }, { type: 'sha256', value: `3${i}${'c0ffee'.repeat(11)}`.slice(0, 64) }],
      assets: [{ kind: 'host', name: `${hosts[(i + 3) % 6]}.${domain}`, ips: [`10.20.3.${20 + i}`], os: 'macOS 14' }] }),
    (i) => ({ title: 'Suspicious PowerShell download cradle', severity: 'high', rules: ['Encoded PowerShell'], tactics: ['execution', 'defense-evasion'], techniques: ['T1059.001', 'T1027'],
      observables: [{ type: 'url', value: `http://suspicious-paste${i}.org/raw/a8Xk2` }, { type: 'processName', value: 'powershell.exe' }, { type: 'ip', value: `91.215.85.${30 + i}` }],
      assets: [{ kind: 'host', name: `${hosts[(i + 4) % 6]}.${domain}`, role: 'victim', ips: [`10.20.4.${30 + i}`], os: 'Windows Server 2022' }] }),
  ];
  const out: AlertInput[] = [];
  for (let i = 0; i < 18; i++) {
    const base = kinds[i % kinds.length](Math.floor(i / kinds.length));
    const at = new Date(now - (18 - i) * 47 * 60_000).toISOString();
    out.push({ ...base, source: i % 3 ? 'kata' : 'siem', sourceId: `${customer}-${i}`, firstEventAt: at, lastEventAt: at, description: `${base.title} detected on ${customer === 'globex' ? 'Globex' : 'Initech'} by the ${i % 3 ? 'KATA sandbox' : 'SIEM correlation rule'}.` });
  }
  return out;
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  void stop(1);
});
