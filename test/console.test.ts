/**
 * The web console end to end: Debian's Chromium (playwright-core) against a real xdrhub with the
 * KTIP simulator and a local HTTPS webhook. Sign in, create a child tenant and see its copied
 * settings, configure TIP with a token, enrich an alert, launch an action behind approval,
 * approve it as an Approver, see it in the history. Screenshots of each main page go to artifacts/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './support/app.ts';
import { startHttpsRecorder } from './support/https-server.ts';
import { startKtipSimulator, type KtipSimulator } from '../simulators/ktip/index.ts';
import { startKasapSimulator, type KasapSimulator } from '../simulators/kasap/index.ts';
import { createTestCa } from './support/tls.ts';
import { peerMissing } from './support/peers.ts';

const CHROMIUM = '/usr/bin/chromium';
const repo = fileURLToPath(new URL('..', import.meta.url));
const artifacts = path.join(repo, 'artifacts', 'console');
const skip = peerMissing(fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install Debian's chromium package to run the console tests`) ?? false;
if (skip) console.log(`# console tests skipped: ${skip}`);

describe('web console', { skip, timeout: 120_000 }, () => {
  let t: TestApp;
  let ktip: KtipSimulator;
  let kasap: KasapSimulator;
  let kasapCa: string;
  let hook: Awaited<ReturnType<typeof startHttpsRecorder>>;
  let browser: Browser;
  let base: string;
  const problems: string[] = [];
  const approverPassword = 'Approver-password-123';

  async function open(): Promise<Page> {
    // Reduced motion: panels open at once, so a click never lands on one still sliding open.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    // Generous: CI runs two test files at once on two cores, and Mantine animates panels open.
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    return page;
  }
  async function signIn(page: Page, username: string, password: string) {
    await page.goto(`${base}/login`);
    await page.locator('input[name=username]').fill(username);
    await page.locator('input[name=password]').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/t\/[^/]+\/alerts/);
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });

  before(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    await build({ configFile: path.join(repo, 'web/vite.config.ts'), logLevel: 'error' });
    const ca = await createTestCa();
    kasapCa = ca.cert;
    const leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
    [ktip, hook, t, kasap] = await Promise.all([startKtipSimulator(), startHttpsRecorder(), startTestApp('sqlite', { XDRHUB_JOB_POLL_MS: '50' }), startKasapSimulator({ tls: leaf })]);
    kasap.addToken('console-kasap-token-1');
    kasap.addUser({
      email: 'alice@corp.example', fullName: 'Alice Smith', groupId: 'grp-beginners',
      courses: [{ courseId: 'c-email', status: 'completed', progress: 100, completedAt: '2026-10-01T10:00:00Z' }, { courseId: 'c-passwords', status: 'inProgress', progress: 40 }],
      certificates: [{ id: 'cert-1', courseId: 'c-email', issuedAt: '2026-10-01T10:00:00Z' }],
    });
    await t.app.startWorker();
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await Promise.all([t?.close(), ktip?.close(), hook?.close(), kasap?.close()]);
  });

  test('serves the console with an SPA fallback and keeps the API 404s', async () => {
    const deep = await fetch(`${base}/t/x/alerts/y`);
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /<div id="root">/);
    const api = await fetch(`${base}/api/v1/no-such-route`);
    assert.equal(api.status, 401, 'under /api the auth hook still answers first');
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'unauthorized');
  });

  test('sign in, TIP with a token, a child tenant with copied settings, enrichment, approval, history', async () => {
    const root = t.rootId;
    // A webhook integration on Root (through the API: the console part is TIP below); it is copied with TIP.
    const created = await t.call('POST', `/api/v1/tenants/${root}/integrations`, { type: 'webhook', name: 'Blocklist', config: { url: `${hook.url}/blocklist`, caCertificate: hook.ca }, secrets: { headerValue: 'Bearer s3cret' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const approver = await t.call('POST', `/api/v1/tenants/${root}/users`, { username: 'approver1', password: approverPassword, roles: ['approver'] });
    assert.equal(approver.status, 201);

    const page = await open();
    await page.goto(`${base}/login`);
    await shot(page, '01-sign-in');
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await shot(page, '02-alerts-empty');

    // Settings → Tenants → Root → Settings: add Kaspersky TIP pointing at the simulator, with a token.
    await page.getByRole('link', { name: 'Settings → Tenants' }).click();
    await page.getByRole('tab', { name: 'Settings' }).click();
    const tip = page.locator('[data-connector="ktip"]');
    await tip.getByRole('button', { name: /Kaspersky TIP/ }).first().click();
    await tip.getByRole('button', { name: 'Add Kaspersky TIP / OpenTIP' }).click();
    await tip.getByLabel('API base URL').fill(ktip.url);
    await tip.getByLabel('API token').fill('console-test-token-1');
    await tip.getByRole('button', { name: 'Create' }).click();
    await tip.getByText('set, changed').waitFor();
    await tip.getByRole('button', { name: 'Check connection' }).click();
    await tip.getByText('✓ Connected').waitFor();
    assert.ok(!(await page.content()).includes('console-test-token-1'), 'the token is never shown');
    await shot(page, '03-settings-root-tip');

    // Create a child: its Settings tab shows the copied integrations.
    await page.getByRole('button', { name: 'Create child' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Customer One');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Customer One' }).waitFor();
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.locator('[data-connector="ktip"]').getByText('copied from the parent tenant').waitFor();
    await page.locator('[data-connector="webhook"]').getByText('copied from the parent tenant').waitFor();
    assert.equal(await page.getByText('Use the installation proxy').count(), 0, 'Proxy is shown on Root only');
    await shot(page, '04-settings-child-copied');
    const child = new URL(page.url()).searchParams.get('sel')!;

    // An alert in the child: enrich its observables and see the Enrichment column.
    const alert = await t.call('POST', `/api/v1/tenants/${child}/alerts`, {
      title: 'Outbound connection to a known C2 server', severity: 'critical', source: 'kata',
      observables: [{ type: 'ip', value: '6.6.6.6' }, { type: 'domain', value: 'update-evil-cdn.com' }, { type: 'domain', value: 'example.org' }],
      assets: [{ kind: 'host', name: 'ws-042.corp.example', role: 'victim', ips: ['10.0.0.42'] }, { kind: 'account', login: 'jsmith', domain: 'CORP' }],
    });
    assert.equal(alert.status, 201, JSON.stringify(alert.body));
    await page.goto(`${base}/t/${child}/alerts`);
    await page.getByRole('link', { name: 'Outbound connection to a known C2 server' }).click();
    await page.getByRole('button', { name: 'Enrich now' }).click();
    const observables = page.getByRole('table', { name: 'Observables' });
    await observables.getByText('Dangerous').first().waitFor();
    await observables.getByText('Good').first().waitFor();
    await shot(page, '05-alert-observables-enriched');

    // Select the IP and launch "Add to a blocklist" behind approval.
    await page.getByRole('checkbox', { name: 'Select 6.6.6.6' }).check();
    await page.getByRole('button', { name: /Respond to 1 selected/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch a response action' });
    await dialog.getByPlaceholder('Choose an action').click();
    await page.getByRole('option', { name: /Add to a blocklist — Blocklist/ }).click();
    await dialog.getByLabel('List name').waitFor();
    assert.equal(await dialog.getByLabel('List name').inputValue(), 'xdrhub-blocklist', 'the schema default is filled in');
    await dialog.getByRole('switch', { name: /Require approval/ }).check({ force: true });
    await shot(page, '06-launch-dialog');
    await dialog.getByRole('button', { name: 'Send for approval' }).click();
    await page.getByRole('tab', { name: 'Response history' }).click();
    await page.getByRole('table', { name: 'Response history' }).getByText('Awaiting approval').waitFor();
    assert.equal(hook.seen.length, 0, 'nothing runs before approval');

    // The Approver approves it in the queue.
    const second = await open();
    await signIn(second, 'approver1', approverPassword);
    await second.getByRole('link', { name: 'Approvals' }).click();
    const queue = second.getByRole('table', { name: 'Actions awaiting approval' });
    await queue.getByText('6.6.6.6').waitFor();
    await shot(second, '07-approvals');
    await queue.getByRole('button', { name: /Approve addToBlocklist on 6.6.6.6/ }).click();
    await second.getByText('No actions to approve').waitFor();
    // An approver may not launch actions: the control is disabled with the reason.
    await second.getByRole('link', { name: 'Response history' }).click();
    assert.equal(await second.getByRole('button', { name: 'New action…' }).getAttribute('data-disabled'), 'true');

    // History shows it succeeded, with Undo.
    await page.getByRole('link', { name: 'Response history' }).click();
    const history = page.getByRole('table', { name: 'Response history' });
    await history.getByText('Succeeded').waitFor({ timeout: 15_000 });
    await history.getByText('approved by approver1').waitFor();
    await history.getByRole('button', { name: 'Undo' }).waitFor();
    await shot(page, '08-response-history');
    assert.equal(hook.seen.length, 1);
    assert.deepEqual(JSON.parse(hook.seen[0].body).target, { kind: 'observable:ip', value: '6.6.6.6' });

    // The other main pages render.
    await page.getByRole('link', { name: 'Playbooks', exact: true }).click();
    await page.getByRole('button', { name: 'From a template…' }).waitFor();
    await shot(page, '09-playbooks');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: 'Audit log' }).getByText('response.approve').first().waitFor();
    await shot(page, '10-audit');
    await page.goto(`${base}/t/${child}/alerts`);
    await page.getByRole('table', { name: 'Alerts' }).waitFor();
    await shot(page, '11-alerts');
    await page.getByRole('link', { name: 'Incidents' }).click();
    await page.getByText('No incidents').waitFor();
    await page.getByRole('link', { name: 'Settings → Tenants' }).click();
    await page.getByRole('tree', { name: 'Tenant tree' }).waitFor();
    await shot(page, '12-tenants');

    assert.deepEqual(problems, [], 'no console errors');
  });

  /** A child of Root with KASAP pointing at the simulator (created once, used by the tests below). */
  let kasapChild: { id: string; name: string } | undefined;
  async function kasapTenant() {
    if (kasapChild) return kasapChild;
    const child = await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Awareness Customer' });
    assert.equal(child.status, 201, JSON.stringify(child.body));
    const created = await t.call('POST', `/api/v1/tenants/${child.body.id}/integrations`, {
      // Issued eleven and a half months ago: the settings warn that it expires soon.
      type: 'kasap', name: 'KASAP awareness', config: { openapiUrl: kasap.url, adminEmail: 'sec-admin@corp.example', caCertificate: kasapCa, timeoutSeconds: 5, tokenIssuedAt: new Date(Date.now() - 350 * 86_400_000).toISOString().slice(0, 10) }, secrets: { token: 'console-kasap-token-1' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    kasapChild = { id: child.body.id, name: 'Awareness Customer' };
    return kasapChild;
  }

  test('KASAP panel on an account: courses from KASAP, then Assign KASAP group through the launch API', async () => {
    problems.length = 0;
    const child = await kasapTenant();
    const alert = await t.call('POST', `/api/v1/tenants/${child.id}/alerts`, {
      title: 'Phishing link clicked', severity: 'high', source: 'siem',
      observables: [{ type: 'url', value: 'https://login-phish.example/auth' }],
      assets: [{ kind: 'account', login: 'alice', email: 'alice@corp.example', role: 'victim' }, { kind: 'account', login: 'ghost', email: 'ghost@corp.example' }],
    });
    assert.equal(alert.status, 201, JSON.stringify(alert.body));
    const page = await open();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/t/${child.id}/alerts/${alert.body.id}`);
    await page.getByRole('tab', { name: /Assets/ }).click();
    const accounts = page.getByRole('table', { name: 'Accounts' });
    await accounts.getByRole('button', { name: 'Training (KASAP)' }).first().click();
    const panel = page.getByRole('region', { name: 'KASAP training of alice' });
    const courses = panel.getByRole('table', { name: 'KASAP courses' });
    await courses.getByText('Passwords and accounts').waitFor({ timeout: 15_000 });
    await courses.getByText('Email security').waitFor();
    assert.equal(await panel.getByRole('progressbar', { name: 'Passwords and accounts: 40%' }).count(), 1);
    await panel.getByText('Beginners').waitFor();
    await panel.getByText(/Certificates: Email security/).waitFor();
    // An account KASAP does not know is a normal answer, said plainly.
    await accounts.getByRole('button', { name: 'Training (KASAP)' }).nth(1).click();
    await page.getByRole('region', { name: 'KASAP training of ghost' }).getByText('Not found in KASAP').waitFor({ timeout: 15_000 });
    await shot(page, '13-kasap-training');

    await panel.getByRole('button', { name: 'Assign KASAP group…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign KASAP group to alice' });
    await dialog.getByPlaceholder('Choose a group').click({ timeout: 15_000 });
    await page.getByRole('option', { name: 'Phishing remediation' }).click();
    await dialog.getByText(/Courses of Phishing remediation: Recognizing phishing/).waitFor();
    await shot(page, '14-kasap-assign');
    await dialog.getByRole('button', { name: 'Assign group' }).click();
    await panel.getByText(/Last group change: Succeeded/).waitFor({ timeout: 15_000 });
    assert.equal(kasap.user('alice@corp.example')?.groupId, 'grp-remediation', 'KASAP moved the user');
    await page.getByRole('tab', { name: 'Response history' }).click();
    const history = page.getByRole('table', { name: 'Response history' });
    const row = history.getByRole('row').filter({ hasText: 'assignGroup' });
    await row.getByText('Succeeded').waitFor();
    await row.getByRole('button', { name: 'Undo' }).waitFor();
    assert.ok((await history.getByRole('row').filter({ hasText: 'lookup' }).count()) >= 2, 'the lookups are in the history too');
    assert.deepEqual(problems, [], 'no console errors');
    // The settings show what the connector reads from the token's dates, and when it was last used.
    await page.goto(`${base}/t/${child.id}/tenants?sel=${child.id}`);
    await page.getByRole('tab', { name: 'Settings' }).click();
    const section = page.locator('[data-connector="kasap"]');
    await section.getByRole('status').filter({ hasText: /month 1[12]|expires/i }).first().waitFor();
    await section.getByText(/last used/).waitFor();
    await section.getByText('needs attention').waitFor();
    await section.scrollIntoViewIfNeeded();
    await shot(page, '15a-kasap-token-warning');
  });

  test('an administrator creates a user and gives them a role on a child tenant', async () => {
    problems.length = 0;
    const child = await kasapTenant();
    const page = await open();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/t/${t.rootId}/alerts`);
    await page.getByRole('link', { name: 'Settings → Users' }).click();
    await page.getByRole('table', { name: 'Users' }).getByText('admin', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'New user…' }).click();
    const dialog = page.getByRole('dialog', { name: /New user in/ });
    await dialog.getByRole('textbox', { name: 'User name' }).fill('kate.analyst');
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Kate Analyst');
    await dialog.getByRole('textbox', { name: 'Password' }).fill('short');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.getByText('password: must be at least 12 characters').waitFor();
    // Chromium logs the refused create (400) as a failed resource load: expected here, and only once.
    const refused = problems.findIndex((p) => p.includes('status of 400'));
    if (refused >= 0) problems.splice(refused, 1);
    await dialog.getByRole('textbox', { name: 'Password' }).fill('Kate-password-2026');
    await shot(page, '15-users-create');
    await dialog.getByRole('button', { name: 'Create user' }).click();

    const roles = page.getByRole('dialog', { name: 'Roles of kate.analyst' });
    await roles.getByText('No roles yet').waitFor();
    await roles.getByRole('combobox', { name: /^On tenant/ }).click();
    await page.getByRole('option', { name: new RegExp(child.name) }).click();
    await roles.getByPlaceholder('Choose a role').click();
    await page.getByRole('option', { name: 'Tier 1 analyst' }).click();
    await roles.getByRole('button', { name: 'Grant role' }).click();
    await roles.getByRole('table', { name: 'Role assignments of kate.analyst' }).getByText(child.name).waitFor();
    await shot(page, '16-users-roles');
    await roles.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('table', { name: 'Users' }).getByText(`Tier 1 analyst · ${child.name}`).waitFor();
    await shot(page, '17-users');

    const users = await t.call('GET', `/api/v1/tenants/${t.rootId}/users?q=kate`);
    const kate = users.body.items[0];
    assert.equal(kate.displayName, 'Kate Analyst');
    assert.deepEqual(kate.roles.map((r: { tenantId: string; role: string }) => [r.tenantId, r.role]), [[child.id, 'tier1']]);

    // Kate is no administrator: Settings → Users is disabled for her, with the reason.
    const second = await open();
    await signIn(second, 'kate.analyst', 'Kate-password-2026');
    assert.match(new URL(second.url()).pathname, new RegExp(`/t/${child.id}/alerts`));
    await second.getByText('Settings → Users').waitFor();
    assert.equal(await second.getByRole('link', { name: 'Settings → Users' }).count(), 0, 'not a link for her');
    assert.deepEqual(problems, [], 'no console errors');
  });

  test('My account: a personal API token shown once works against the API until revoked; an administrator edits a user', async () => {
    problems.length = 0;
    const page = await open();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: /^My account/ }).click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    await page.getByRole('textbox', { name: 'Token name' }).fill('console script');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText('You will not see it again').waitFor();
    const token = (await page.getByTestId('new-token').textContent())!.trim();
    assert.match(token, /^xdrh_/);
    await shot(page, '23-my-account-token');
    const me = (bearer: string) => fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal((await me(token)).status, 200, 'the token works');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.ok(!(await page.content()).includes(token), 'shown once only');
    await page.getByRole('button', { name: 'Revoke console script' }).click();
    await page.getByRole('dialog', { name: /Revoke token/ }).getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('table', { name: 'Your API tokens' }).getByRole('row', { name: /console script/ }).getByText('Revoked').waitFor();
    await shot(page, '24-my-account');
    assert.equal((await me(token)).status, 401, 'a revoked token stops working');

    // An administrator edits another user's display name (a too-short password is refused at its field first).
    const edited = await t.call('POST', `/api/v1/tenants/${t.rootId}/users`, { username: 'edit.me', password: 'Edit-me-password-1', roles: ['observer'] });
    assert.equal(edited.status, 201);
    await page.getByRole('link', { name: 'Settings → Users' }).click();
    await page.getByRole('textbox', { name: 'Find by user name' }).fill('edit.me');
    await page.getByRole('button', { name: 'Edit edit.me' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit edit.me' });
    await dialog.getByRole('textbox', { name: 'Display name' }).fill('Edited Person');
    await dialog.getByLabel('New password').fill('short');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('password: must be at least 12 characters').waitFor();
    const refused = problems.findIndex((p) => p.includes('status of 400'));
    if (refused >= 0) problems.splice(refused, 1);
    await dialog.getByLabel('New password').fill('');
    await shot(page, '25-users-edit');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('table', { name: 'Users' }).getByText('Edited Person').waitFor();
    assert.equal((await t.call('GET', `/api/v1/tenants/${t.rootId}/users/${edited.body.user.id}`)).body.displayName, 'Edited Person');
    assert.deepEqual(problems, [], 'no console errors');
  });

  test('approvals: a training-mode run and an updateData step awaiting approval, approved in the queue', async () => {
    problems.length = 0;
    const tenant = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Playbook approvals' })).body.id as string;
    const playbook = async (body: Record<string, unknown>) => {
      const res = await t.call('POST', `/api/v1/tenants/${tenant}/playbooks`, { scope: 'alert', ...body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const alert = async (title: string) => {
      const res = await t.call('POST', `/api/v1/tenants/${tenant}/alerts`, { title, severity: 'high', source: 'siem' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; shortId: string };
    };
    const runOf = async (playbookId: string) => (await t.call('GET', `/api/v1/tenants/${tenant}/playbook-runs?playbookId=${playbookId}`)).body.items[0];
    const training = await playbook({ name: 'Triage in training', mode: 'training', trigger: '.title == "Training match"', steps: [{ id: 'triage', kind: 'updateData', update: { status: 'inProgress' } }] });
    const gated = await playbook({ name: 'Gated comment', mode: 'manual', steps: [{ id: 'note', kind: 'updateData', update: { comment: 'approved in the queue' }, approval: { required: true, windowMinutes: 30 } }] });
    const matched = await alert('Training match');
    await t.app.services.triggers.drain();
    const target = await alert('Needs a gated comment');
    const launched = await t.call('POST', `/api/v1/tenants/${tenant}/playbooks/${gated}/launch`, { alertId: target.id });
    assert.equal(launched.status, 201, JSON.stringify(launched.body));
    await t.call('POST', `/api/v1/tenants/${tenant}/users`, { username: 'pb.observer', password: 'Observer-password-1', roles: ['observer'] });
    await t.call('POST', `/api/v1/tenants/${tenant}/users`, { username: 'pb.approver', password: approverPassword, roles: ['approver'] });

    // An observer sees the queue, with the controls disabled and the reason.
    const observer = await open();
    await signIn(observer, 'pb.observer', 'Observer-password-1');
    await observer.goto(`${base}/t/${tenant}/approvals`);
    const observerSteps = observer.getByRole('table', { name: 'Playbook steps awaiting approval' });
    await observerSteps.getByRole('link', { name: 'Gated comment', exact: true }).waitFor({ timeout: 15_000 });
    assert.equal(await observerSteps.getByRole('button', { name: 'Approve step note of Gated comment' }).getAttribute('data-disabled'), 'true');
    await observer.getByText(/cannot .*approve/i).first().waitFor();
    await observer.context().close();

    const page = await open();
    await signIn(page, 'pb.approver', approverPassword);
    await page.getByRole('link', { name: 'Approvals' }).click();
    const runs = page.getByRole('table', { name: 'Playbook runs awaiting approval' });
    const steps = page.getByRole('table', { name: 'Playbook steps awaiting approval' });
    await runs.getByRole('link', { name: `${matched.shortId} Training match` }).waitFor();
    await steps.getByRole('link', { name: `${target.shortId} Needs a gated comment` }).waitFor({ timeout: 15_000 });
    await page.getByText('No actions to approve').waitFor();
    await shot(page, '22-approvals-playbooks');
    await runs.getByRole('button', { name: `Approve run Triage in training for ${matched.shortId}` }).click();
    await page.getByText('No runs to approve').waitFor();
    await steps.getByRole('button', { name: 'Approve step note of Gated comment' }).click();
    await page.getByText('No steps to approve').waitFor();

    // Both runs go on and finish; the step's change is applied once.
    const done = async (playbookId: string) => {
      for (let i = 0; i < 200; i++) {
        const r = await runOf(playbookId);
        if (r && !['awaitingApproval', 'queued', 'running'].includes(r.status)) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`run of ${playbookId} did not finish`);
    };
    assert.equal((await done(training)).status, 'succeeded');
    assert.equal((await done(gated)).status, 'succeeded');
    const details = await t.call('GET', `/api/v1/tenants/${tenant}/alerts/${target.id}`);
    assert.deepEqual(details.body.comments.map((c: { text: string }) => c.text), ['approved in the queue']);
    assert.equal((await t.call('GET', `/api/v1/tenants/${tenant}/alerts/${matched.id}`)).body.status, 'inProgress');
    assert.deepEqual(problems, [], 'no console errors');
  });

  test('incidents: the list sorts (newest first, most severe first, oldest first) and filters', async () => {
    problems.length = 0;
    const tenant = (await t.call('POST', `/api/v1/tenants/${t.rootId}/children`, { name: 'Incident sorting' })).body.id as string;
    // Created in this order: the critical one is older, the low one newer.
    for (const [title, severity] of [['Older critical incident', 'critical'], ['Newer low incident', 'low']]) {
      const res = await t.call('POST', `/api/v1/tenants/${tenant}/incidents`, { title, severity });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await new Promise((r) => setTimeout(r, 5));
    }
    const page = await open();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/t/${tenant}/incidents`);
    const table = page.getByRole('table', { name: 'Incidents' });
    const firstTitle = () => table.getByRole('row').nth(1).getByRole('link').innerText();
    await table.getByText('Newer low incident').waitFor();
    assert.equal(await firstTitle(), 'Newer low incident', 'newest first by default');
    const choose = async (label: string, first: string) => {
      await page.getByRole('combobox', { name: 'Sort' }).click();
      await page.getByRole('option', { name: label }).click();
      await table.getByRole('row').nth(1).getByRole('link', { name: first, exact: true }).waitFor();
    };
    await choose('Most severe first', 'Older critical incident');
    await choose('Oldest first', 'Older critical incident');
    await choose('Newest first', 'Newer low incident');
    await shot(page, '18-incidents');
    // A filter with no match says what to do next.
    await page.getByRole('combobox', { name: 'Severity' }).click();
    await page.getByRole('option', { name: 'medium' }).click();
    await page.getByText('No incidents').waitFor();
    assert.deepEqual(problems, [], 'no console errors');
  });

  test("an incident's page: its alerts' observables (one row per value), Enrich now, assets grouped, KASAP on an account recorded on the incident", async () => {
    problems.length = 0;
    const tenant = await kasapTenant();
    // TIP comes copied from Root when the first test configured it; otherwise add it here.
    const integrations = await t.call('GET', `/api/v1/tenants/${tenant.id}/integrations?limit=200`);
    if (!integrations.body.items.some((i: { type: string }) => i.type === 'ktip')) {
      const tip = await t.call('POST', `/api/v1/tenants/${tenant.id}/integrations`, { type: 'ktip', name: 'TIP', config: { service: 'openTip', baseUrl: ktip.url }, secrets: { token: 'console-test-token-2' } });
      assert.equal(tip.status, 201, JSON.stringify(tip.body));
    }
    kasap.addUser({ email: 'bob.incident@corp.example', fullName: 'Bob Incident', groupId: 'grp-advanced', courses: [{ courseId: 'c-web', status: 'inProgress', progress: 70 }], certificates: [] });
    const [first, second] = await Promise.all([
      t.call('POST', `/api/v1/tenants/${tenant.id}/alerts`, {
        title: 'Beaconing to update-evil-cdn.com from ws-101', severity: 'high', source: 'kata',
        observables: [{ type: 'ip', value: '6.6.6.7' }, { type: 'domain', value: 'incident-evil-cdn.com' }],
        assets: [{ kind: 'host', name: 'ws-101.corp.example', role: 'victim', ips: ['10.0.1.101'] }, { kind: 'account', login: 'bob', email: 'bob.incident@corp.example', role: 'victim' }],
      }),
      t.call('POST', `/api/v1/tenants/${tenant.id}/alerts`, {
        title: 'Same C2 from ws-102', severity: 'medium', source: 'kata',
        observables: [{ type: 'domain', value: 'incident-evil-cdn.com' }, { type: 'domain', value: 'example.net' }],
        assets: [{ kind: 'host', name: 'ws-101.corp.example', role: 'victim' }, { kind: 'host', name: 'ws-102.corp.example', role: 'victim' }, { kind: 'account', login: 'bob', role: 'victim' }],
      }),
    ]);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(second.status, 201, JSON.stringify(second.body));
    const incident = await t.call('POST', `/api/v1/tenants/${tenant.id}/incidents`, { title: 'C2 campaign on two workstations', severity: 'high', alertIds: [first.body.id, second.body.id] });
    assert.equal(incident.status, 201, JSON.stringify(incident.body));

    const page = await open();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.goto(`${base}/t/${tenant.id}/incidents/${incident.body.id}`);
    await page.getByRole('table', { name: 'Linked alerts' }).getByText('Same C2 from ws-102').waitFor();

    // Observables: the shared domain is one row naming both alerts; Enrich now fills the Enrichment column.
    await page.getByRole('tab', { name: 'Observables (3)' }).click();
    const observables = page.getByRole('table', { name: 'Observables' });
    await observables.getByText('incident-evil-cdn.com').waitFor();
    assert.equal(await observables.locator('tbody tr').count(), 3, 'one row per type and value');
    const shared = observables.getByRole('row').filter({ hasText: 'incident-evil-cdn.com' });
    await shared.getByRole('link', { name: first.body.shortId }).waitFor();
    await shared.getByRole('link', { name: second.body.shortId }).waitFor();
    assert.equal(await observables.getByText('not enriched').count(), 3);
    await page.getByRole('button', { name: 'Enrich now' }).click();
    await page.getByRole('status').filter({ hasText: '3 observable(s) enriched.' }).waitFor();
    await shared.getByText('Dangerous').waitFor();
    await observables.getByRole('row').filter({ hasText: 'example.net' }).getByText('Good').waitFor();
    assert.equal(await observables.getByText('not enriched').count(), 0, 'every row is enriched');
    // Recorded on the alerts too: the first alert's own page shows it.
    const alertDetails = await t.call('GET', `/api/v1/tenants/${tenant.id}/alerts/${second.body.id}`);
    assert.ok(alertDetails.body.observables.every((o: { enrichment: unknown }) => o.enrichment), "the alerts' observables carry the enrichment");
    await shot(page, '19-incident-observables');

    // Assets: ws-101 (in both alerts) is one row; bob (in both, with an e-mail in one) is one account.
    await page.getByRole('tab', { name: 'Assets (3)' }).click();
    const hosts = page.getByRole('table', { name: 'Hosts' });
    await hosts.getByText('ws-101.corp.example').waitFor();
    assert.equal(await hosts.locator('tbody tr').count(), 2);
    const accounts = page.getByRole('table', { name: 'Accounts' });
    assert.equal(await accounts.locator('tbody tr').count(), 1);
    await accounts.getByRole('button', { name: 'Training (KASAP)' }).click();
    const panel = page.getByRole('region', { name: 'KASAP training of bob' });
    await panel.getByRole('table', { name: 'KASAP courses' }).getByText('Web browsing').waitFor({ timeout: 15_000 });
    await panel.getByText('Advanced').waitFor();
    assert.equal(await panel.getByRole('progressbar', { name: 'Web browsing: 70%' }).count(), 1);
    await shot(page, '20-incident-kasap');

    // Assign a group from the incident: the panel reads the change back from the incident's history.
    await panel.getByRole('button', { name: 'Assign KASAP group…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Assign KASAP group to bob' });
    await dialog.getByPlaceholder('Choose a group').click({ timeout: 15_000 });
    await page.getByRole('option', { name: 'Beginners' }).click();
    await dialog.getByRole('button', { name: 'Assign group' }).click();
    await panel.getByText(/Last group change: Succeeded/).waitFor({ timeout: 15_000 });
    assert.equal(kasap.user('bob.incident@corp.example')?.groupId, 'grp-beginners');

    // Both are recorded on the incident (and on the alert the account came from).
    const history = await t.call('GET', `/api/v1/tenants/${tenant.id}/response/actions?incidentId=${incident.body.id}&limit=100`);
    const byAction = Object.fromEntries(history.body.items.map((a: { action: string; incidentId: string; alertId: string }) => [a.action, [a.incidentId, a.alertId]]));
    assert.deepEqual(byAction.lookup, [incident.body.id, first.body.id]);
    assert.deepEqual(byAction.assignGroup, [incident.body.id, first.body.id]);
    await page.getByRole('tab', { name: 'Response history' }).click();
    const table = page.getByRole('table', { name: 'Response history' });
    await table.getByRole('row').filter({ hasText: 'assignGroup' }).getByRole('button', { name: 'Undo' }).waitFor();
    await table.getByRole('row').filter({ hasText: 'lookup' }).first().waitFor();
    await shot(page, '21-incident-history');
    assert.deepEqual(problems, [], 'no console errors');
  });
});
