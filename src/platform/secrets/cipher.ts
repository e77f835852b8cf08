import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKey } from './keyring.ts';

/**
 * Ciphertext format, version 1:  v1.<keyId>.<iv>.<tag>.<ciphertext>  (parts base64url).
 * The version lets the format change later; the key id says which master key to decrypt with,
 * so rotation can find what is still under an old key without decrypting anything.
 */
export const FORMAT_VERSION = 'v1';
const IV_BYTES = 12; // the GCM standard nonce size
const TAG_BYTES = 16;

/** Where a secret lives. The ciphertext is bound to it through GCM additional data. */
export interface SecretRef {
  tenantId: string;
  ownerKind: string;
  ownerId: string;
}

export interface ParsedCiphertext {
  version: string;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

export class CiphertextFormatError extends Error {
  override name = 'CiphertextFormatError';
}

/**
 * Additional authenticated data: a JSON array, so no choice of ids can make two different
 * (tenant, owner, field) tuples serialize alike (as a delimiter-joined string could).
 */
export function additionalData(ref: SecretRef, field: string): Buffer {
  return Buffer.from(JSON.stringify(['xdrhub-secret', FORMAT_VERSION, ref.tenantId, ref.ownerKind, ref.ownerId, field]), 'utf8');
}

export function encrypt(key: MasterKey, aad: Buffer, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [FORMAT_VERSION, key.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
}

export function parseCiphertext(text: string): ParsedCiphertext {
  const parts = text.split('.');
  if (parts.length !== 5) throw new CiphertextFormatError('not a vault ciphertext (expected 5 dot-separated parts)');
  const [version, keyId, iv, tag, data] = parts;
  if (version !== FORMAT_VERSION) throw new CiphertextFormatError(`unsupported ciphertext format version "${version.slice(0, 8)}"`);
  const parsed = { version, keyId, iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), data: Buffer.from(data, 'base64url') };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) throw new CiphertextFormatError('malformed ciphertext (bad nonce or tag length)');
  return parsed;
}

/** Throws (without any detail of the key or data) when the tag does not verify: wrong key, wrong AAD, or tampering. */
export function decrypt(key: MasterKey, aad: Buffer, parsed: ParsedCiphertext): string {
  const decipher = createDecipheriv('aes-256-gcm', key.key, parsed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(parsed.tag);
  return Buffer.concat([decipher.update(parsed.data), decipher.final()]).toString('utf8');
}
