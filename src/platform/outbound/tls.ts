import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import { OutboundError } from './errors.ts';

export interface TlsOptions {
  /** PEM of CA certificate(s) to trust instead of the system store. */
  ca?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** The name to check the certificate against (and send as SNI) when the URL holds an IP. */
  servername?: string;
  /** Default true. Turning it off is for lab setups only; prefer a CA or a pin. */
  rejectUnauthorized?: boolean;
  /**
   * The server certificate's SHA-256 fingerprint (hex, colons optional). Any other certificate is
   * refused, even one a CA would accept. Without `ca`, the pin alone decides: a self-signed
   * appliance certificate works without trusting anything else.
   */
  pinSha256?: string;
}

/** Uppercase hex with colons, as `openssl x509 -noout -fingerprint -sha256` prints it. */
export function fingerprintSha256(certificate: string | Buffer | Uint8Array): string {
  const input = typeof certificate === 'string' ? certificate : Buffer.from(certificate);
  // X509Certificate takes PEM or DER and throws on anything else, so garbage never gets a fingerprint.
  const der = new X509Certificate(input).raw;
  return colonHex(createHash('sha256').update(der).digest('hex'));
}

/** Accepts `AB:CD…`, `abcd…` or `sha256:…`; returns uppercase hex with colons. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.trim().replace(/^sha-?256[:=]?/i, '').replace(/[:\s-]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new OutboundError('tls', 'the pinned fingerprint is not a SHA-256 fingerprint: paste the 64 hex digits (colons optional)', { reason: 'pinMismatch' });
  }
  return colonHex(hex);
}

function colonHex(hex: string): string {
  return hex.toUpperCase().match(/.{2}/g)!.join(':');
}

/** Node TLS options for undici's connector. */
export function tlsConnectOptions(tls: TlsOptions | undefined): buildConnector.BuildOptions {
  const pinned = !!tls?.pinSha256;
  return {
    ca: tls?.ca,
    cert: tls?.cert,
    key: tls?.key,
    passphrase: tls?.passphrase,
    servername: tls?.servername,
    // A pin without a CA replaces chain validation: the exact certificate is what we trust, and
    // the guard below refuses every other one before a byte of the request is sent.
    rejectUnauthorized: pinned && !tls?.ca ? false : (tls?.rejectUnauthorized ?? true),
  };
}

interface SocketAddress {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}

const socketKey = (s: SocketAddress) => `${s.localAddress}:${s.localPort}>${s.remoteAddress}:${s.remotePort}`;

export interface HandshakeFacts {
  /** The server sent a CertificateRequest during the handshake. */
  certificateRequested: boolean;
  certificateSent: boolean;
}

/**
 * What each TLS handshake told us, looked up by socket address when a request on that connection
 * later fails: with TLS 1.3 a refused client certificate only shows as a closed connection, and
 * only the handshake knows that the server asked for one. Bounded; old entries fall out.
 */
export class HandshakeLog {
  private readonly entries = new Map<string, HandshakeFacts>();
  constructor(private readonly limit = 2048) {}

  record(socket: SocketAddress, facts: HandshakeFacts): void {
    const key = socketKey(socket);
    this.entries.delete(key);
    this.entries.set(key, facts);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  lookup(socket: SocketAddress | undefined): HandshakeFacts | undefined {
    return socket ? this.entries.get(socketKey(socket)) : undefined;
  }
}

export interface GuardOptions {
  /** Normalized pin, if any. */
  pin?: string;
  certificateConfigured: boolean;
  handshakes: HandshakeLog;
  /** Called once per connection that is handed to undici. */
  onConnection(origin: string): void;
}

/**
 * Wraps an undici connector (direct, or the proxy's tunnel) so every new connection is checked
 * against the pin before undici writes the request on it, its handshake facts are recorded, and
 * it is counted.
 */
export function guardConnector(connect: buildConnector.connector, guard: GuardOptions): buildConnector.connector {
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('the connector returned no socket'), null);
      if (socket instanceof TLSSocket) {
        if (guard.pin) {
          const seen = socket.getPeerCertificate()?.fingerprint256 ?? '';
          if (seen.toUpperCase() !== guard.pin) {
            socket.destroy();
            return callback(new OutboundError('tls', `the certificate of ${opts.hostname} does not match the pinned fingerprint: if the server's certificate was replaced on purpose, pin the new fingerprint`, { reason: 'pinMismatch', peerFingerprint: seen.toUpperCase() || undefined }), null);
          }
        }
        // On the client, shared signature algorithms exist only once the server has sent a
        // CertificateRequest (the one place Node exposes that it asked for a certificate).
        guard.handshakes.record(socket, { certificateRequested: socket.getSharedSigalgs().length > 0, certificateSent: guard.certificateConfigured });
      }
      guard.onConnection(`${opts.protocol}//${opts.hostname}:${opts.port || (opts.protocol === 'https:' ? 443 : 80)}`);
      callback(null, socket as Socket);
    });
}
