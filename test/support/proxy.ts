import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { peerMissing } from './peers.ts';

/**
 * Debian's tinyproxy as a real HTTP CONNECT proxy for tests (reference/dependencies.md §2(d)).
 * Install: apt-get install -y --no-install-recommends tinyproxy
 */
export const tinyproxyPath = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((p) => fs.existsSync(p));

/** Shown by tests that skip because tinyproxy is missing. */
export const tinyproxyMissing = 'tinyproxy is not installed, so the proxy tests are skipped: apt-get install -y --no-install-recommends tinyproxy';
// Where peers are required (.ci/run), a missing tinyproxy fails the tests that use it.
peerMissing(tinyproxyPath ? undefined : tinyproxyMissing);

export interface SeenProxyRequest {
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
}

export interface RunningProxy {
  /** http://[user:pass@]127.0.0.1:port */
  url: string;
  port: number;
  pid: number;
  logFile: string;
  /** Requests tinyproxy logged so far (CONNECT tunnels and plain forwarded requests). */
  requestsSeen(): SeenProxyRequest[];
  /** Kills this tinyproxy by its PID, waits for it to exit, and removes its directory. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts tinyproxy on a free loopback port in its own temporary directory. */
export async function startTinyproxy(options: { auth?: { user: string; pass: string } } = {}): Promise<RunningProxy> {
  if (!tinyproxyPath) throw new Error(tinyproxyMissing);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-tinyproxy-'));
  // tinyproxy drops to nobody when started as root; it must still write its log and pid file.
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const logFile = path.join(dir, 'tinyproxy.log');
  const conf = [
    'User nobody',
    'Group nogroup',
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logFile}"`,
    `PidFile "${path.join(dir, 'tinyproxy.pid')}"`,
    // Info level logs one line per request, which is how a test proves a call went through it.
    'LogLevel Info',
    'MaxClients 20',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    ...(options.auth ? [`BasicAuth ${options.auth.user} ${options.auth.pass}`] : []),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), `${conf}\n`);
  fs.writeFileSync(logFile, '');
  fs.chmodSync(logFile, 0o666);

  // -d: stay in the foreground, so the child's PID is tinyproxy's own and we can kill exactly it.
  const child = spawn(tinyproxyPath, ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let up = false;
  for (let i = 0; i < 100 && !up && child.exitCode === null; i++) {
    up = await accepts(port);
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  if (!up) {
    if (child.exitCode === null) child.kill('SIGKILL');
    const log = fs.readFileSync(logFile, 'utf8').slice(-500);
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`tinyproxy did not start on 127.0.0.1:${port}: ${log}`);
  }

  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    logFile,
    requestsSeen() {
      // e.g. "CONNECT   Nov 28 17:10:01.123 [4242]: Request (file descriptor 6): CONNECT 127.0.0.1:4443 HTTP/1.1"
      const seen: SeenProxyRequest[] = [];
      for (const m of fs.readFileSync(logFile, 'utf8').matchAll(/Request \(file descriptor \d+\): (\S+) (\S+) HTTP\//g)) {
        seen.push({ method: m[1], target: m[2] });
      }
      return seen;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid!, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
