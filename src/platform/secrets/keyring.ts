import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

/**
 * The master keys the vault encrypts with. The first key is current (new ciphertexts use it);
 * the others are kept so ciphertexts written before a rotation still decrypt.
 *
 * Keys come from the environment (XDRHUB_MASTER_KEY, XDRHUB_PREVIOUS_MASTER_KEYS) or, when
 * XDRHUB_MASTER_KEY is unset, from `<dataDir>/master.keys`: one base64 key a line, current
 * first, created with mode 0600 on first start.
 */
export const KEY_FILE_NAME = 'master.keys';
export const KEY_BYTES = 32;

export class KeyringError extends Error {
  override name = 'KeyringError';
}

export interface MasterKey {
  /** Short hash of the key: safe to store beside ciphertexts and to print. */
  readonly id: string;
  readonly key: Buffer;
}

export type KeySource = { kind: 'env' } | { kind: 'file'; file: string };

export interface Keyring {
  readonly source: KeySource;
  /** The key new ciphertexts are written with. */
  current(): MasterKey;
  /** Every key this process can decrypt with, current first. */
  keys(): readonly MasterKey[];
  byId(id: string): MasterKey | undefined;
  /**
   * Re-reads the key source (the key file, or the env object given at load time). Called when a
   * ciphertext names a key id this process does not know: another process rotated the key.
   * Returns true when the set of keys changed.
   */
  reload(): boolean;
  /**
   * Cheap check before writing: when the key file changed on disk (rotation by another process),
   * reload so new ciphertexts use the new current key. No-op for env keys.
   */
  refreshIfChanged(): boolean;
}

export interface LoadKeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** Where master.keys lives when XDRHUB_MASTER_KEY is unset. */
  dataDir?: string;
}

/** sha256 over a label and the key, first 12 hex digits: identifies a key without revealing it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('xdrhub-master-key-id:').update(key).digest('hex').slice(0, 12);
}

export function generateMasterKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** Decodes a base64 key, naming where it came from (never its value) when it is malformed. */
export function parseKey(raw: string, where: string): MasterKey {
  const text = raw.trim();
  // Buffer.from(…, 'base64') silently skips junk; check the alphabet so a typo is reported, not truncated.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new KeyringError(`${where} must be base64 of ${KEY_BYTES} random bytes (it contains characters outside base64)`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new KeyringError(`${where} must be base64 of ${KEY_BYTES} random bytes (it decodes to ${key.length} bytes); generate one with: openssl rand -base64 32`);
  }
  return { id: keyIdOf(key), key };
}

function keysFromEnv(env: NodeJS.ProcessEnv): MasterKey[] {
  const keys = [parseKey(env.XDRHUB_MASTER_KEY!, 'XDRHUB_MASTER_KEY')];
  const previous = (env.XDRHUB_PREVIOUS_MASTER_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  previous.forEach((raw, i) => keys.push(parseKey(raw, `XDRHUB_PREVIOUS_MASTER_KEYS (entry ${i + 1})`)));
  return dedupe(keys);
}

function dedupe(keys: MasterKey[]): MasterKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => (seen.has(k.id) ? false : (seen.add(k.id), true)));
}

/** Refuses a key file others can read: a readable master key defeats encryption at rest. */
function assertPrivate(file: string): void {
  if (process.platform === 'win32') return;
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) {
    throw new KeyringError(
      `refusing to start: the master key file ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
    );
  }
}

export function readKeyFile(file: string): MasterKey[] {
  assertPrivate(file);
  const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) throw new KeyringError(`the master key file ${file} holds no key`);
  return dedupe(lines.map((line, i) => parseKey(line, `${file} line ${i + 1}`)));
}

/** Writes keys (current first) atomically with mode 0600: a crash never leaves a half-written key file. */
export function writeKeyFile(file: string, keys: readonly MasterKey[]): void {
  const body =
    '# xdrhub master keys: the first is current, the others decrypt older secrets. Keep this file private (mode 0600) and backed up.\n' +
    keys.map((k) => k.key.toString('base64')).join('\n') +
    '\n';
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, body, { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600); // umask cannot widen it, but an existing tmp file kept its old mode
  fs.renameSync(tmp, file);
}

function keyFileOf(dataDir: string): string {
  return path.join(dataDir, KEY_FILE_NAME);
}

/** Creates the key file with one fresh key when it does not exist yet (first start). */
function ensureKeyFile(file: string): void {
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = generateMasterKey();
  try {
    // 'wx' so two processes starting at once cannot both create a key (one would lose its secrets).
    fs.writeFileSync(file, `# xdrhub master keys: the first is current. Keep this file private (mode 0600) and backed up.\n${key.toString('base64')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export function loadKeyring(options: LoadKeyringOptions = {}): Keyring {
  const env = options.env ?? process.env;
  const source: KeySource = env.XDRHUB_MASTER_KEY
    ? { kind: 'env' }
    : (() => {
        if (!options.dataDir) throw new KeyringError('XDRHUB_MASTER_KEY is unset and no data directory was given for the master key file');
        return { kind: 'file' as const, file: keyFileOf(options.dataDir) };
      })();

  const read = (): MasterKey[] => {
    if (source.kind === 'env') return keysFromEnv(env);
    ensureKeyFile(source.file);
    return readKeyFile(source.file);
  };
  const stamp = (): string => {
    if (source.kind === 'env') return '';
    try {
      const s = fs.statSync(source.file);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      return '';
    }
  };

  let keys = read();
  let fileStamp = stamp();
  let byId = new Map(keys.map((k) => [k.id, k]));

  const reload = (): boolean => {
    const next = read();
    fileStamp = stamp();
    const changed = next.map((k) => k.id).join(',') !== keys.map((k) => k.id).join(',');
    keys = next;
    byId = new Map(keys.map((k) => [k.id, k]));
    return changed;
  };

  return {
    source,
    current: () => keys[0],
    keys: () => keys,
    byId: (id) => byId.get(id),
    reload,
    refreshIfChanged: () => (source.kind === 'file' && stamp() !== fileStamp ? reload() : false),
  };
}
