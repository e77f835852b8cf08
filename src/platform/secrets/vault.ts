import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { newId, now } from '../ids.ts';
import { additionalData, decrypt, encrypt, parseCiphertext, CiphertextFormatError, type SecretRef } from './cipher.ts';
import type { Keyring } from './keyring.ts';
import type { SecretsTable, VaultTables } from './migrations.ts';

export type { SecretRef };

/** Any Kysely handle: the database itself or a transaction a caller opened. */
export type Executor = Kysely<any>;

export type VaultErrorCode = 'decrypt_failed' | 'unknown_key' | 'bad_format';

/**
 * A secret could not be read. The message names the owner and field so an operator can act;
 * it never carries plaintext, ciphertext or key material.
 */
export class VaultError extends Error {
  override name = 'VaultError';
  constructor(
    readonly code: VaultErrorCode,
    message: string,
    readonly owner: { tenantId: string; ownerKind: string; ownerId: string; field: string },
  ) {
    super(message);
  }
}

export interface SecretDescription {
  field: string;
  /** When the field was first set on this owner. */
  createdAt: number;
  /**
   * When the current value was set: setting the same value again keeps it, and a copy to another
   * owner (a child tenant's instance) keeps the source's time — it is the same credential.
   */
  updatedAt: number;
  /** Last successful use of the current value reported through `markUsed`; null: none since it was set. */
  usedAt: number | null;
}

export interface SecretsWithTimes {
  values: Record<string, string>;
  described: SecretDescription[];
}

export interface RotateResult {
  /** Rows found under a key other than the current one. */
  scanned: number;
  /** Rows re-encrypted under the current key. */
  rotated: number;
  /** Rows changed by someone else between read and write (their new value was left alone). */
  skipped: number;
  /** Rows that could not be decrypted, by owner and field (never values). */
  failed: { tenantId: string; ownerKind: string; ownerId: string; field: string; reason: string }[];
  /** Rows still under another key when the run ended (written meanwhile by a process with the old keyring). */
  remaining: number;
  currentKeyId: string;
}

export interface Vault {
  set(ref: SecretRef, field: string, value: string, trx?: Executor): Promise<void>;
  get(ref: SecretRef, field: string, trx?: Executor): Promise<string | undefined>;
  getAll(ref: SecretRef, trx?: Executor): Promise<Record<string, string>>;
  /** getAll and describe from one read, so the times belong to the values returned. */
  getAllWithTimes(ref: SecretRef, trx?: Executor): Promise<SecretsWithTimes>;
  /** Which fields are set and when they changed; never values. */
  describe(ref: SecretRef, trx?: Executor): Promise<SecretDescription[]>;
  /**
   * Records a successful use of a field at `at`, only while its value is still the one set at
   * `setAt` and the recorded use is older than `notWithinMs` (one statement; returns whether it wrote).
   */
  markUsed(ref: SecretRef, field: string, use: { setAt: number; at?: number; notWithinMs?: number }, trx?: Executor): Promise<boolean>;
  /** Removes one field, or every field of the owner; returns how many were removed. */
  remove(ref: SecretRef, field?: string, trx?: Executor): Promise<number>;
  /**
   * Decrypts every field of `from` and re-encrypts it bound to `to`, keeping each field's set and
   * use times (the copy is the same credential); returns how many were copied.
   */
  copy(from: SecretRef, to: SecretRef, trx?: Executor): Promise<number>;
  /** Purges every secret of these tenants; returns how many rows were deleted. */
  removeForTenants(tenantIds: readonly string[], trx?: Executor): Promise<number>;
  /** Re-encrypts every ciphertext not under the current key; safe while other processes run. */
  rotate(options?: { batchSize?: number }): Promise<RotateResult>;
  keyIdsInUse(): Promise<string[]>;
  readonly keyring: Keyring;
}

export interface CreateVaultOptions {
  database: Database;
  keyring: Keyring;
  logger?: Logger;
}

// SQLite limits bound parameters per statement; purge ids go in chunks well below it.
const ID_CHUNK = 500;

export function createVault({ database, keyring, logger }: CreateVaultOptions): Vault {
  const tables = (trx?: Executor) => (trx ?? database.db).withTables<VaultTables>();
  const log = logger?.child({ module: 'vault' });

  const sealFor = (ref: SecretRef, field: string, value: string) => {
    keyring.refreshIfChanged();
    const key = keyring.current();
    return { keyId: key.id, ciphertext: encrypt(key, additionalData(ref, field), value) };
  };

  const open = (ref: SecretRef, field: string, ciphertext: string): string => {
    const owner = { ...ref, field };
    const where = `secret ${ref.ownerKind}/${ref.ownerId} field "${field}" of tenant ${ref.tenantId}`;
    let parsed;
    try {
      parsed = parseCiphertext(ciphertext);
    } catch (err) {
      throw new VaultError('bad_format', `${where} cannot be read: ${(err as CiphertextFormatError).message}`, owner);
    }
    let key = keyring.byId(parsed.keyId);
    if (!key) {
      // Another process may have rotated the master key: re-read the key source once before giving up.
      const changed = keyring.reload();
      log?.info({ keyId: parsed.keyId, changed }, 'unknown master key id met; keyring reloaded');
      key = keyring.byId(parsed.keyId);
      if (!key) {
        throw new VaultError(
          'unknown_key',
          `${where} is encrypted with master key ${parsed.keyId}, which is not in the keyring (restore it in the key file or XDRHUB_PREVIOUS_MASTER_KEYS)`,
          owner,
        );
      }
    }
    try {
      return decrypt(key, additionalData(ref, field), parsed);
    } catch {
      // GCM says only "does not verify": the ciphertext was altered or moved from another owner.
      throw new VaultError('decrypt_failed', `${where} failed to decrypt: it was altered or does not belong to this owner`, owner);
    }
  };

  /** The value's set and use times: given (a copy), kept (the same value set again), or new. */
  const timesFor = async (ref: SecretRef, field: string, value: string, trx?: Executor): Promise<{ setAt: number; usedAt: number | null }> => {
    const existing = await rowsOf(ref, trx).where('field', '=', field).executeTakeFirst();
    if (existing) {
      let same = false;
      try {
        same = open(ref, field, existing.ciphertext) === value;
      } catch {
        // An unreadable old value is replaced; its times do not describe the new one.
      }
      if (same) return { setAt: Number(existing.updated_at), usedAt: existing.used_at == null ? null : Number(existing.used_at) };
    }
    return { setAt: now(), usedAt: null };
  };

  const upsert = async (ref: SecretRef, field: string, value: string, trx?: Executor, times?: { createdAt: number; setAt: number; usedAt: number | null }) => {
    const { setAt, usedAt } = times ?? (await timesFor(ref, field, value, trx));
    const { keyId, ciphertext } = sealFor(ref, field, value);
    await tables(trx)
      .insertInto('secrets')
      .values({ id: newId(), tenant_id: ref.tenantId, owner_kind: ref.ownerKind, owner_id: ref.ownerId, field, key_id: keyId, ciphertext, created_at: times?.createdAt ?? now(), updated_at: setAt, used_at: usedAt })
      .onConflict((oc) =>
        oc.columns(['owner_kind', 'owner_id', 'field']).doUpdateSet({ tenant_id: ref.tenantId, key_id: keyId, ciphertext, updated_at: setAt, used_at: usedAt }),
      )
      .execute();
  };

  const describeRow = (r: Pick<SecretsTable, 'field' | 'created_at' | 'updated_at' | 'used_at'>): SecretDescription => ({
    field: r.field,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    usedAt: r.used_at == null ? null : Number(r.used_at),
  });

  const rowsOf = (ref: SecretRef, trx?: Executor) =>
    tables(trx)
      .selectFrom('secrets')
      .select(['field', 'ciphertext', 'created_at', 'updated_at', 'used_at'])
      .where('tenant_id', '=', ref.tenantId)
      .where('owner_kind', '=', ref.ownerKind)
      .where('owner_id', '=', ref.ownerId)
      .orderBy('field');

  return {
    keyring,

    set: (ref, field, value, trx) => {
      if (typeof value !== 'string') throw new TypeError(`secret field "${field}" must be a string`);
      return upsert(ref, field, value, trx);
    },

    async get(ref, field, trx) {
      const row = await rowsOf(ref, trx).where('field', '=', field).executeTakeFirst();
      return row ? open(ref, field, row.ciphertext) : undefined;
    },

    async getAll(ref, trx) {
      const out: Record<string, string> = {};
      for (const row of await rowsOf(ref, trx).execute()) out[row.field] = open(ref, row.field, row.ciphertext);
      return out;
    },

    async getAllWithTimes(ref, trx) {
      const rows = await rowsOf(ref, trx).execute();
      const values: Record<string, string> = {};
      for (const row of rows) values[row.field] = open(ref, row.field, row.ciphertext);
      return { values, described: rows.map(describeRow) };
    },

    async describe(ref, trx) {
      return (await rowsOf(ref, trx).execute()).map(describeRow);
    },

    async markUsed(ref, field, { setAt, at = now(), notWithinMs = 0 }, trx) {
      const res = await tables(trx)
        .updateTable('secrets')
        .set({ used_at: at })
        .where('tenant_id', '=', ref.tenantId)
        .where('owner_kind', '=', ref.ownerKind)
        .where('owner_id', '=', ref.ownerId)
        .where('field', '=', field)
        // Only the value the caller used: a replacement meanwhile starts with no use recorded.
        .where('updated_at', '=', setAt)
        .where((eb) => eb.or([eb('used_at', 'is', null), eb('used_at', '<=', at - notWithinMs)]))
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async remove(ref, field, trx) {
      let q = tables(trx)
        .deleteFrom('secrets')
        .where('tenant_id', '=', ref.tenantId)
        .where('owner_kind', '=', ref.ownerKind)
        .where('owner_id', '=', ref.ownerId);
      if (field !== undefined) q = q.where('field', '=', field);
      const res = await q.executeTakeFirst();
      return Number(res.numDeletedRows);
    },

    async copy(from, to, trx) {
      const rows = await rowsOf(from, trx).execute();
      for (const row of rows) {
        const times = { createdAt: now(), setAt: Number(row.updated_at), usedAt: row.used_at == null ? null : Number(row.used_at) };
        await upsert(to, row.field, open(from, row.field, row.ciphertext), trx, times);
      }
      return rows.length;
    },

    async removeForTenants(tenantIds, trx) {
      let deleted = 0;
      for (let i = 0; i < tenantIds.length; i += ID_CHUNK) {
        const chunk = tenantIds.slice(i, i + ID_CHUNK);
        const res = await tables(trx).deleteFrom('secrets').where('tenant_id', 'in', chunk).executeTakeFirst();
        deleted += Number(res.numDeletedRows);
      }
      return deleted;
    },

    async rotate({ batchSize = 200 } = {}) {
      keyring.refreshIfChanged();
      const current = keyring.current();
      const result: RotateResult = { scanned: 0, rotated: 0, skipped: 0, failed: [], remaining: 0, currentKeyId: current.id };
      // Keyset pagination by id: rows that fail to decrypt are passed, not fetched again forever.
      let after = '';
      for (;;) {
        const batch: Pick<SecretsTable, 'id' | 'tenant_id' | 'owner_kind' | 'owner_id' | 'field' | 'ciphertext'>[] = await tables()
          .selectFrom('secrets')
          .select(['id', 'tenant_id', 'owner_kind', 'owner_id', 'field', 'ciphertext'])
          .where('key_id', '!=', current.id)
          .where('id', '>', after)
          .orderBy('id')
          .limit(batchSize)
          .execute();
        if (batch.length === 0) break;
        after = batch[batch.length - 1].id;
        result.scanned += batch.length;
        await database.db.transaction().execute(async (trx) => {
          for (const row of batch) {
            const ref = { tenantId: row.tenant_id, ownerKind: row.owner_kind, ownerId: row.owner_id };
            let plaintext: string;
            try {
              plaintext = open(ref, row.field, row.ciphertext);
            } catch (err) {
              result.failed.push({ ...ref, field: row.field, reason: (err as Error).message });
              continue;
            }
            const ciphertext = encrypt(current, additionalData(ref, row.field), plaintext);
            // Compare-and-swap on the old ciphertext: a value replaced meanwhile is newer than ours and wins.
            const res = await tables(trx)
              .updateTable('secrets')
              .set({ key_id: current.id, ciphertext })
              .where('id', '=', row.id)
              .where('ciphertext', '=', row.ciphertext)
              .executeTakeFirst();
            if (Number(res.numUpdatedRows) === 1) result.rotated++;
            else result.skipped++;
          }
        });
      }
      const left = await tables().selectFrom('secrets').select((eb) => eb.fn.countAll<number>().as('n')).where('key_id', '!=', current.id).executeTakeFirstOrThrow();
      result.remaining = Number(left.n);
      log?.info({ scanned: result.scanned, rotated: result.rotated, skipped: result.skipped, failed: result.failed.length, remaining: result.remaining, keyId: current.id }, 'vault rotation finished');
      return result;
    },

    async keyIdsInUse() {
      const rows = await tables().selectFrom('secrets').select('key_id').distinct().orderBy('key_id').execute();
      return rows.map((r) => r.key_id);
    },
  };
}
