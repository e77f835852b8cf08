import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const tinyproxyPath = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((p) => fs.existsSync(p));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * Debian's tinyproxy on a loopback port, with Basic auth when given, logging every request at
 * Info level so a test can prove a call went through it. Stopped by its PID.
 */
export async function startTinyproxy(auth?: { user: string; pass: string }) {
  if (!tinyproxyPath) throw new Error('tinyproxy is not installed (apt-get install tinyproxy)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-tinyproxy-'));
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
    'LogLevel Info',
    'MaxClients 20',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    ...(auth ? [`BasicAuth ${auth.user} ${auth.pass}`] : []),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), conf);
  fs.writeFileSync(logFile, '');
  fs.chmodSync(logFile, 0o666);
  const child: ChildProcess = spawn(tinyproxyPath, ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    port,
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
