import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

const { utils } = ssh2;

/**
 * Host keys as users see them: the OpenSSH public-key line (`ssh-ed25519 AAAA… comment`, what
 * `ssh-keyscan` prints and known_hosts holds) and its SHA256 fingerprint as `ssh-keygen -lf`
 * shows it. Verification compares the raw key blob the server presents with the pinned one.
 */

export interface PinnedHostKey {
  /** Key type from the blob, e.g. ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256. */
  type: string;
  blob: Buffer;
  fingerprint: string;
}

/** `SHA256:<base64 without padding>` of a key blob: exactly what `ssh-keygen -lf` prints. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written at the start of an SSH public key blob (a uint32-length string). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) throw new Error('the key is too short');
  const len = blob.readUInt32BE(0);
  if (len < 1 || len > 64 || 4 + len > blob.length) throw new Error('the key blob is malformed');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The OpenSSH line for a key blob as the server presented it. */
export function openSshLine(blob: Buffer): string {
  return `${blobType(blob)} ${blob.toString('base64')}`;
}

/**
 * Parses a pasted host key: one OpenSSH public-key line, optionally preceded by a known_hosts
 * host field. Throws an Error that says what is wrong; the blob must parse as a public key of
 * the type its line announces.
 */
export function parseHostKey(line: string): PinnedHostKey {
  const fields = line.trim().split(/\s+/);
  // Accept a known_hosts line ("host ssh-ed25519 AAAA…") by skipping a leading host field.
  const start = fields.findIndex((f) => /^(ssh-|ecdsa-|sk-)/.test(f));
  if (start < 0 || fields.length < start + 2) throw new Error('is not an OpenSSH public key line (expected e.g. "ssh-ed25519 AAAA…")');
  const [type, b64] = [fields[start], fields[start + 1]];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('has a key part that is not base64');
  const blob = Buffer.from(b64, 'base64');
  let inner: string;
  try {
    inner = blobType(blob);
  } catch (err) {
    throw new Error(`is not a valid public key: ${(err as Error).message}`);
  }
  if (inner !== type) throw new Error(`says ${type} but the key inside is ${inner}`);
  const parsed = utils.parseKey(`${type} ${b64}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey()) throw new Error('is not a valid public key');
  return { type, blob, fingerprint: fingerprintOf(blob) };
}

/**
 * Host-key algorithms to offer when a key is pinned: only those the pinned key can satisfy, so
 * a server with several host keys presents the one we know instead of its preferred one.
 */
export function hostKeyAlgorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type];
}

/** Constant-time-irrelevant (public data) comparison of the presented key with the pinned one. */
export function sameKey(presented: Buffer, pinned: PinnedHostKey): boolean {
  return presented.equals(pinned.blob);
}
