import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestCa } from './tls.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTPS endpoint on 127.0.0.1 with a throwaway CA, recording what it receives. */
export async function startHttpsRecorder(respond: (req: SeenRequest) => { status: number; body?: string } = () => ({ status: 200, body: '{"ok":true}' })) {
  const ca = await createTestCa();
  const leaf = await ca.issue({ cn: 'localhost', dns: ['localhost'], ips: ['127.0.0.1'] });
  const seen: SeenRequest[] = [];
  const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      const out = respond(entry);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    ca: ca.cert,
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
