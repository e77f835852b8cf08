import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { generateMasterKey, keyIdOf, loadKeyring, readKeyFile, writeKeyFile, type Keyring, type LoadKeyringOptions } from './keyring.ts';
import { createVault, type RotateResult } from './vault.ts';

/**
 * Support for `xdrhub secrets rotate-key` and `xdrhub secrets retire-keys`. Both are safe while
 * servers run: servers re-read the key file when they meet an unknown key id (reads) or see the
 * file change (writes), and retirement keeps every key a ciphertext still uses.
 */
export interface KeyCommandOptions extends LoadKeyringOptions {
  database: Database;
  logger?: Logger;
  batchSize?: number;
}

export interface RotateKeyReport extends RotateResult {
  /** Where the keys live: with env keys nothing is generated (the operator sets the new key). */
  source: 'env' | 'file';
  /** True when a new key was generated and prepended to the key file. */
  generated: boolean;
  previousKeyIds: string[];
}

/**
 * Key file: generates a new master key, prepends it (older keys stay for decryption), then
 * re-encrypts every secret under it. Env keys: the operator has already put the new key in
 * XDRHUB_MASTER_KEY and the old ones in XDRHUB_PREVIOUS_MASTER_KEYS; this re-encrypts under it.
 */
export async function rotateKey(options: KeyCommandOptions): Promise<RotateKeyReport> {
  const keyring = loadKeyring(options);
  let generated = false;
  if (keyring.source.kind === 'file') {
    const file = keyring.source.file;
    const existing = readKeyFile(file);
    const key = generateMasterKey();
    writeKeyFile(file, [{ id: keyIdOf(key), key }, ...existing]);
    keyring.reload();
    generated = true;
  }
  const result = await createVault({ database: options.database, keyring, logger: options.logger }).rotate({ batchSize: options.batchSize });
  return {
    ...result,
    source: keyring.source.kind,
    generated,
    previousKeyIds: keyring.keys().slice(1).map((k) => k.id),
  };
}

export interface RetireKeysReport {
  source: 'env' | 'file';
  currentKeyId: string;
  /** Key ids removed from the key file. */
  retired: string[];
  /** Key ids kept because ciphertexts still use them (run rotate-key first to move them). */
  kept: string[];
  /** With env keys: previous key ids no ciphertext uses, which may be dropped from XDRHUB_PREVIOUS_MASTER_KEYS. */
  unusedInEnv: string[];
}

/** Drops every non-current key that no ciphertext uses. */
export async function retireKeys(options: KeyCommandOptions): Promise<RetireKeysReport> {
  const keyring: Keyring = loadKeyring(options);
  const vault = createVault({ database: options.database, keyring, logger: options.logger });
  const inUse = new Set(await vault.keyIdsInUse());
  const [current, ...previous] = keyring.keys();
  const kept = previous.filter((k) => inUse.has(k.id));
  const unused = previous.filter((k) => !inUse.has(k.id)).map((k) => k.id);
  if (keyring.source.kind === 'file') {
    if (unused.length > 0) writeKeyFile(keyring.source.file, [current, ...kept]);
    return { source: 'file', currentKeyId: current.id, retired: unused, kept: kept.map((k) => k.id), unusedInEnv: [] };
  }
  return { source: 'env', currentKeyId: current.id, retired: [], kept: kept.map((k) => k.id), unusedInEnv: unused };
}
