import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { peerMissing } from './peers.ts';

/**
 * A real OpenSSH server for tests: Debian's /usr/sbin/sshd on a free loopback port, with a fresh
 * ed25519 host key, a test user (created once, with a password) whose authorized_keys sit in
 * the temporary directory, and client keys made by ssh-keygen (reference/dependencies.md §2(a)).
 * Needs root (sshd must switch to the user and read /etc/shadow with UsePAM no).
 */

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
export const SSH_TEST_USER = 'xdrhubssh';
/** Fixed, test-only: the user exists only on test machines and only logs in on loopback. */
export const SSH_TEST_PASSWORD = 'Ssh-test-Passw0rd-7f3a';
/** Passphrase of the encrypted client keys. */
export const KEY_PASSPHRASE = 'key pass phrase 9';

export interface ClientKey {
  privateKey: string;
  passphrase?: string;
  publicKey: string;
}

export interface SshServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The host's OpenSSH public-key line ("ssh-ed25519 AAAA…"). */
  hostKeyLine: string;
  /** As `ssh-keygen -lf` prints it: SHA256:… */
  fingerprint: string;
  clientKeys: { ed25519: ClientKey; rsa: ClientKey; ed25519WithPassphrase: ClientKey; rsaWithPassphrase: ClientKey };
  /** Temporary directory: world-writable `work/` for scripts and their output files. */
  dir: string;
  workDir: string;
  logFile: string;
  /** TCP connections sshd accepted so far (from its VERBOSE log). */
  connectionCount(): number;
  /** Writes an executable script into workDir; returns its absolute path. */
  writeScript(name: string, body: string): string;
  stop(): Promise<void>;
}

/** Why real-sshd tests cannot run here, or undefined when they can. */
export function sshdUnavailable(): string | undefined {
  return peerMissing(whySshdUnavailable());
}

function whySshdUnavailable(): string | undefined {
  if (!fs.existsSync(SSHD)) return 'openssh-server is not installed (apt-get install openssh-server; see reference/dependencies.md §2(a))';
  if (!fs.existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen is not installed (apt-get install openssh-client)';
  if (process.getuid?.() !== 0) return 'sshd with a test user needs root (to create the user and check its password)';
  return undefined;
}

async function ensureUser(): Promise<void> {
  try {
    await run('id', [SSH_TEST_USER]);
    return;
  } catch {
    /* create it below */
  }
  try {
    await run('useradd', ['-M', '-d', '/tmp', '-s', '/bin/bash', SSH_TEST_USER]);
  } catch (err) {
    // Another test file may have created it at the same moment.
    if (!/already exists/.test(String((err as { stderr?: string }).stderr))) throw err;
  }
  await new Promise<void>((resolve, reject) => {
    const p = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${err}`))));
    p.stdin.end(`${SSH_TEST_USER}:${SSH_TEST_PASSWORD}\n`);
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function keygen(file: string, type: 'ed25519' | 'rsa', passphrase = '', pem = false): Promise<ClientKey> {
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), ...(pem ? ['-m', 'PEM'] : []), '-N', passphrase, '-C', path.basename(file), '-f', file]);
  return { privateKey: fs.readFileSync(file, 'utf8'), publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim(), ...(passphrase ? { passphrase } : {}) };
}

function waitListening(port: number, child: ReturnType<typeof spawn>, logFile: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`sshd exited (${child.exitCode}): ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSshd(opts: { extraConfig?: string } = {}): Promise<SshServer> {
  await ensureUser();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-sshd-'));
  fs.chmodSync(dir, 0o755);
  const workDir = path.join(dir, 'work');
  fs.mkdirSync(workDir);
  fs.chmodSync(workDir, 0o1777);
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  const [, ed25519, rsa, ed25519WithPassphrase, rsaWithPassphrase] = await Promise.all([
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test-host', '-f', hostKey]),
    keygen(path.join(dir, 'client_ed25519'), 'ed25519'),
    keygen(path.join(dir, 'client_rsa'), 'rsa'),
    keygen(path.join(dir, 'client_ed25519_pass'), 'ed25519', KEY_PASSPHRASE),
    // PEM (PKCS#1, encrypted): the legacy format many key files still use.
    keygen(path.join(dir, 'client_rsa_pass'), 'rsa', KEY_PASSPHRASE, true),
  ]);
  const authorized = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorized, [ed25519, rsa, ed25519WithPassphrase, rsaWithPassphrase].map((k) => k.publicKey).join('\n') + '\n', { mode: 0o644 });
  const hostKeyLine = fs.readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  const fingerprint = (await run('ssh-keygen', ['-lf', `${hostKey}.pub`])).stdout.split(/\s+/)[1];
  const config = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      config,
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${SSH_TEST_USER}`,
        'StrictModes no',
        'LogLevel VERBOSE',
        // The benchmark opens several connections at once; the default 10:30:100 drops some.
        'MaxStartups 100:30:200',
        opts.extraConfig ?? '',
      ].join('\n') + '\n',
    );
    const log = fs.openSync(logFile, 'a');
    // -D: stay in the foreground so we own the PID; -e: log to stderr (our file).
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', log, log], detached: false });
    fs.closeSync(log);
    try {
      await waitListening(port, child, logFile);
    } catch (err) {
      child.kill('SIGTERM');
      if (attempt < 2) continue; // the port was taken between freePort and sshd's bind
      throw err;
    }
    const stop = async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return {
      host: '127.0.0.1',
      port,
      user: SSH_TEST_USER,
      password: SSH_TEST_PASSWORD,
      hostKeyLine,
      fingerprint,
      clientKeys: { ed25519, rsa, ed25519WithPassphrase, rsaWithPassphrase },
      dir,
      workDir,
      logFile,
      connectionCount: () => (fs.readFileSync(logFile, 'utf8').match(/^Connection from /gm) ?? []).length,
      writeScript(name, body) {
        const p = path.join(workDir, name);
        fs.writeFileSync(p, body, { mode: 0o755 });
        fs.chmodSync(p, 0o755);
        return p;
      },
      stop,
    };
  }
}
