// What the event tests and the ingest bench send: an sshd "Failed password" line, the Sigma rule
// that matches it, and the two ways to deliver syslog to a collector.
import dgram from 'node:dgram';
import net from 'node:net';

/** The Sigma rule for `sshLine`, with the id given (rule ids are unique per tenant). */
export const sshFailedRule = (id: string) => `title: SSH failed password
id: ${id}
logsource: {product: linux, service: sshd}
detection:
  selection:
    appname: sshd
    message|startswith: 'Failed password'
  condition: selection
level: high
tags: [attack.credential_access, attack.t1110.001]
`;

/** An RFC 3164 sshd line the linux-sshd normalizer maps (src = ip, suser = user). */
export const sshLine = (ip: string, user = 'root', port = 41520) => `<38>Nov 28 11:10:00 web01 sshd[2301]: Failed password for ${user} from ${ip} port ${port} ssh2`;

export async function sendUdp(port: number, line: string): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.send(Buffer.from(line), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

/** Sends `data` over one TCP connection and resolves when the collector has closed it. */
export async function sendTcp(port: number, data: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.end(data));
    c.on('close', () => resolve());
    c.on('error', reject);
  });
}
