// Vault throughput: AES-256-GCM encrypt+decrypt of a 64-byte secret in memory (the cost every
// secret read and write pays), and set+get through the SQLite database (what a request pays).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../src/platform/db/index.ts';
import { migrate } from '../src/platform/db/migrations.ts';
import { additionalData, decrypt, encrypt, parseCiphertext } from '../src/platform/secrets/cipher.ts';
import { loadKeyring } from '../src/platform/secrets/keyring.ts';
import { createVault, vaultMigrations } from '../src/platform/secrets/index.ts';
import { median, type BenchRow } from './lib.ts';

const SUITE = 'vault';
const RUNS = 5;

/** Median over RUNS of operations per second, each run doing `n` operations. */
async function opsPerSecond(n: number, op: (i: number) => unknown | Promise<unknown>): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    rates.push(n / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

export default async function (): Promise<BenchRow[]> {
  const keyring = loadKeyring({ env: { XDRHUB_MASTER_KEY: randomBytes(32).toString('base64') } });
  const key = keyring.current();
  const secret = randomBytes(48).toString('base64'); // 64 characters
  const ref = { tenantId: 'tenant-bench', ownerKind: 'integration', ownerId: 'instance-bench' };
  const aad = additionalData(ref, 'apiKey');

  const cryptoRate = await opsPerSecond(20_000, () => {
    if (decrypt(key, aad, parseCiphertext(encrypt(key, aad, secret))) !== secret) throw new Error('round trip failed');
  });

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdrhub-bench-vault-'));
  const database = await openDatabase({ dataDir });
  try {
    await migrate(database, vaultMigrations);
    const vault = createVault({ database, keyring });
    // 100 owners so the upserts hit real index pages, not one hot row.
    const dbRate = await opsPerSecond(2_000, async (i) => {
      const owner = { ...ref, ownerId: `instance-${i % 100}` };
      await vault.set(owner, 'apiKey', secret);
      if ((await vault.get(owner, 'apiKey')) !== secret) throw new Error('round trip failed');
    });
    return [
      { suite: SUITE, name: 'encrypt+decrypt, 64-byte secret', value: cryptoRate, unit: 'ops/s', note: `median of ${RUNS} runs, in memory` },
      { suite: SUITE, name: 'set+get through SQLite', value: dbRate, unit: 'ops/s', note: `median of ${RUNS} runs, upsert + select + decrypt` },
    ];
  } finally {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
