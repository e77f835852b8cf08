import type { Database } from '../db/index.ts';
import { createAuditLog } from './log.ts';

/**
 * `xdrhub audit verify`: walks the whole chain, prints one result line, and returns the exit
 * code (0 intact, 1 tampering found, 2 the check itself failed).
 */
export async function auditVerifyCommand(database: Database, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  try {
    const result = await createAuditLog({ database }).verify();
    if (result.ok) {
      print(`audit log intact: ${result.checked} entries verified`);
      return 0;
    }
    print(`audit log TAMPERED at entry ${result.firstBadSeq ?? '?'}: ${result.problem} (${result.checked} entries verified before it)`);
    return 1;
  } catch (err) {
    print(`audit verify failed: ${(err as Error).message}`);
    return 2;
  }
}
