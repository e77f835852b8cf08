import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestCa } from './tls.ts';
import { peerMissing } from './peers.ts';

/**
 * A real Active Directory for tests: Samba's AD domain controller on loopback, LDAP only
 * (reference/dependencies.md §6). Provisioning takes ~7 s, so it happens once per machine and
 * recipe version into a template folder in os.tmpdir(); each start copies the template (~0.6 s
 * to start), gives it a certificate from a throwaway CA (SAN localhost, 127.0.0.1) and runs
 * `samba -D -M single`. A DC listens on the fixed ports 389/636, so only one can run per machine:
 * a lock file serializes test files and processes that need one.
 */

const run = promisify(execFile);

/** Bump when the provisioning recipe below changes: old templates are then ignored. */
const RECIPE = 'r1';
const REALM = 'XDR.TEST';
const DOMAIN = 'XDR';
const ADMIN_PASSWORD = 'Passw0rd!Adm1n';
const BASE_DN = 'DC=xdr,DC=test';
const SAMBA = '/usr/sbin/samba';
const SAMBA_TOOL = '/usr/bin/samba-tool';

export interface SambaDc {
  ldapsUrl: string;
  ldapUrl: string;
  /** The CA that issued the DC's certificate (SAN localhost, 127.0.0.1, dc1.xdr.test). */
  caPem: string;
  baseDn: string;
  adminUpn: string;
  adminPassword: string;
  /** The DC's folder (its log is log/samba.log). */
  dir: string;
  /** Creates a user with samba-tool; returns its DN. */
  createUser(name: string, password: string, opts?: { mail?: string; givenName?: string; surname?: string }): Promise<string>;
  /** Creates a security group with samba-tool; returns its DN. */
  createGroup(name: string): Promise<string>;
  /** Runs samba-tool against this DC's configuration. */
  tool(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Why Samba tests cannot run here, or undefined when they can. */
export function sambaUnavailable(): string | undefined {
  return peerMissing(whySambaUnavailable());
}

function whySambaUnavailable(): string | undefined {
  if (!fs.existsSync(SAMBA) || !fs.existsSync(SAMBA_TOOL)) {
    return 'Samba AD DC is not installed (apt-get install samba samba-ad-provision samba-dsdb-modules samba-vfs-modules)';
  }
  if (process.getuid?.() !== 0) return 'Samba AD DC tests need root (the DC binds ports 389 and 636)';
  return undefined;
}

function sambaVersion(): string {
  return execFileSync(SAMBA, ['-V'], { encoding: 'utf8' }).trim().replace(/[^A-Za-z0-9.-]/g, '_');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The template's smb.conf carries absolute paths: remember them to rewrite copies. */
const ORIGIN_FILE = 'xdrhub-origin';

async function ensureTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `xdrhub-samba-${sambaVersion()}-${RECIPE}`);
  if (fs.existsSync(path.join(template, ORIGIN_FILE))) return template;
  // Build in a private folder and rename: concurrent first runs never see a half-made template.
  const build = fs.mkdtempSync(`${template}.building-`);
  fs.mkdirSync(path.join(build, 'run'));
  fs.mkdirSync(path.join(build, 'log'));
  fs.writeFileSync(path.join(build, 'empty.conf'), ''); // keeps /etc/samba/smb.conf out
  await run(SAMBA_TOOL, [
    'domain', 'provision', '-s', path.join(build, 'empty.conf'), '--use-rfc2307', `--realm=${REALM}`, `--domain=${DOMAIN}`,
    '--server-role=dc', '--dns-backend=NONE', `--adminpass=${ADMIN_PASSWORD}`, `--targetdir=${build}`,
    '--host-name=dc1', '--host-ip=127.0.0.1', '--option=interfaces = lo', '--option=bind interfaces only = yes',
    `--option=pid directory = ${build}/run`, `--option=ncalrpc dir = ${build}/run/ncalrpc`,
    `--option=winbindd socket directory = ${build}/run/winbindd`, `--option=ntp signd socket directory = ${build}/run/ntp_signd`,
    `--option=log file = ${build}/log/samba.log`,
  ], { timeout: 120_000 });
  const confPath = path.join(build, 'etc', 'smb.conf');
  let conf = fs.readFileSync(confPath, 'utf8');
  conf = conf.replace(/^\tserver services = .*$/m, '\tserver services = ldap'); // LDAP only: one small process
  conf = conf.replace(/^\[global\]$/m, [
    '[global]',
    // Else the old password keeps working for 60 minutes after a reset.
    '\told password allowed period = 0',
    // Lets a simple bind succeed over plain LDAP, so tests can prove that the *client* refuses
    // a password reset without TLS (Samba itself would accept one).
    '\tldap server require strong auth = no',
  ].join('\n'));
  fs.writeFileSync(confPath, conf);
  fs.writeFileSync(path.join(build, ORIGIN_FILE), build);
  try {
    fs.renameSync(build, template);
  } catch {
    fs.rmSync(build, { recursive: true, force: true }); // another process won the race
  }
  return template;
}

const LOCK = path.join(os.tmpdir(), 'xdrhub-samba-dc.lock');

/** One DC per machine: waits for the lock, taking over one whose holder has died. */
async function acquireLock(timeoutMs = 180_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(LOCK, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(LOCK, 'utf8') || 0);
      if (holder && !alive(holder)) {
        fs.rmSync(LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another process (pid ${holder}) holds the Samba DC lock ${LOCK}`);
      await sleep(250);
    }
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function logTail(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, 'log', 'samba.log'), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startSamba(): Promise<SambaDc> {
  const reason = sambaUnavailable();
  if (reason) throw new Error(reason);
  const template = await ensureTemplate();
  const release = await acquireLock();
  let dir = '';
  let pid = 0;
  try {
    if ((await portOpen(636)) || (await portOpen(389))) throw new Error('ports 389/636 are taken by a process that does not hold the xdrhub Samba lock');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-samba-dc-'));
    fs.cpSync(template, dir, { recursive: true });
    const origin = fs.readFileSync(path.join(template, ORIGIN_FILE), 'utf8');
    const conf = path.join(dir, 'etc', 'smb.conf');
    fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').split(origin).join(dir));

    const ca = await createTestCa('xdrhub Samba test CA');
    const leaf = await ca.issue({ cn: 'dc1.xdr.test', dns: ['dc1.xdr.test', 'localhost'], ips: ['127.0.0.1'] });
    const tls = path.join(dir, 'private', 'tls');
    fs.mkdirSync(tls, { recursive: true });
    fs.writeFileSync(path.join(tls, 'cert.pem'), leaf.cert);
    fs.writeFileSync(path.join(tls, 'key.pem'), leaf.key, { mode: 0o600 });
    fs.writeFileSync(path.join(tls, 'ca.pem'), ca.cert);

    await run(SAMBA, ['-D', '-M', 'single', '-s', conf], { timeout: 30_000 });
    // Wait for Samba's own pid file (a second DC exits when the ports are taken) and then LDAPS.
    const pidFile = path.join(dir, 'run', 'samba.pid');
    const deadline = Date.now() + 30_000;
    while (!pid) {
      if (fs.existsSync(pidFile)) pid = Number(fs.readFileSync(pidFile, 'utf8').trim()) || 0;
      if (!pid) {
        if (Date.now() > deadline) throw new Error(`samba wrote no pid file:\n${logTail(dir)}`);
        await sleep(50);
      }
    }
    while (!(await portOpen(636)) || !(await portOpen(389))) {
      if (!alive(pid)) throw new Error(`samba exited during start:\n${logTail(dir)}`);
      if (Date.now() > deadline) throw new Error(`samba did not open 389/636 in time:\n${logTail(dir)}`);
      await sleep(50);
    }

    const dcDir = dir;
    const dcPid = pid;
    const tool = async (...args: string[]) => (await run(SAMBA_TOOL, [...args, '-s', conf], { timeout: 60_000 })).stdout;
    return {
      ldapsUrl: 'ldaps://127.0.0.1:636',
      ldapUrl: 'ldap://127.0.0.1:389',
      caPem: ca.cert,
      baseDn: BASE_DN,
      adminUpn: `Administrator@${REALM}`,
      adminPassword: ADMIN_PASSWORD,
      dir: dcDir,
      tool,
      async createUser(name, password, opts = {}) {
        const extra = [
          ...(opts.mail ? [`--mail-address=${opts.mail}`] : []),
          ...(opts.givenName ? [`--given-name=${opts.givenName}`] : []),
          ...(opts.surname ? [`--surname=${opts.surname}`] : []),
        ];
        await tool("user", "create", name, password, "--use-username-as-cn", ...extra);
        return `CN=${name},CN=Users,${BASE_DN}`;
      },
      async createGroup(name) {
        await tool('group', 'add', name);
        return `CN=${name},CN=Users,${BASE_DN}`;
      },
      async stop() {
        try {
          process.kill(dcPid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        for (let i = 0; i < 100 && alive(dcPid); i++) await sleep(50);
        if (alive(dcPid)) process.kill(dcPid, 'SIGKILL');
        fs.rmSync(dcDir, { recursive: true, force: true });
        release();
      },
    };
  } catch (err) {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    release();
    throw err;
  }
}
