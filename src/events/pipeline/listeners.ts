// Socket listeners of syslog collectors: UDP (one datagram = one event), TCP and TLS (RFC 6587
// octet counting or newline framing through SyslogFrameSplitter). They only frame and enqueue;
// the processor does the rest.
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { SyslogFrameSplitter } from '../parsers/framing.ts';
import type { Collector } from '../store/collectors.ts';
import type { Intake } from './intake.ts';
import type { PipelineMetrics } from './metrics.ts';

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

export interface ListenerDeps {
  queue: Intake;
  metrics: PipelineMetrics;
  /** Wakes the processor after events were enqueued. */
  wake(): void;
  host: string;
}

/** "::ffff:10.0.0.5" → "10.0.0.5", so overrides are written as people read addresses. */
export const plainAddress = (a: string | undefined): string => (a?.startsWith('::ffff:') ? a.slice(7) : (a ?? ''));

export async function startListener(c: Collector, deps: ListenerDeps, tlsKey?: string): Promise<Listener> {
  if (c.kind === 'syslog-udp') return startUdp(c, deps);
  if (c.kind === 'syslog-tcp') return startStream(c, deps, net.createServer());
  if (c.kind === 'syslog-tls') {
    if (!c.tlsCert || !tlsKey) throw new Error(`collector ${c.id}: TLS certificate or key missing`);
    return startStream(c, deps, tls.createServer({ cert: c.tlsCert, key: tlsKey }));
  }
  throw new Error(`collector kind ${c.kind} has no socket listener`);
}

function startUdp(c: Collector, deps: ListenerDeps): Promise<Listener> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  socket.on('message', (msg, rinfo) => {
    deps.metrics.countReceived(c.id);
    // Trailing newlines are common in UDP senders; the line itself is the event.
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    const ok = deps.queue.offer({ collectorId: c.id, tenantId: c.tenantId, sourceIp: rinfo.address, raw: msg.toString('utf8', 0, end), receivedAt: Date.now() });
    // UDP has no way to slow the sender down: a full queue drops, and the drop is counted.
    if (!ok) deps.metrics.countDropped(c.id);
    else deps.wake();
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(c.port, deps.host, () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // per-datagram errors must not crash the process
      resolve({
        port: socket.address().port,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}

function startStream(c: Collector, deps: ListenerDeps, server: net.Server): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const connection = (socket: net.Socket) => {
    sockets.add(socket);
    const splitter = new SyslogFrameSplitter();
    const sourceIp = plainAddress(socket.remoteAddress);
    let framingErrors = 0;
    const resume = () => socket.resume();
    const enqueue = (frames: Buffer[]) => {
      const at = Date.now();
      for (const f of frames) deps.queue.force({ collectorId: c.id, tenantId: c.tenantId, sourceIp, raw: f.toString('utf8'), receivedAt: at });
      if (frames.length) {
        deps.metrics.countReceived(c.id, frames.length);
        deps.wake();
      }
      if (splitter.errors > framingErrors) {
        deps.metrics.countDropped(c.id, splitter.errors - framingErrors);
        framingErrors = splitter.errors;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      enqueue(splitter.push(chunk));
      // TCP backpressure: stop reading until the queue drains; the kernel window then slows the sender.
      if (deps.queue.full && !socket.isPaused()) {
        socket.pause();
        deps.queue.onDrain(resume);
      }
    });
    socket.on('end', () => enqueue(splitter.flush()));
    socket.on('error', () => {}); // a reset by the peer is its business
    socket.on('close', () => {
      sockets.delete(socket);
      deps.queue.offDrain(resume);
    });
  };
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', connection);
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(c.port, deps.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
