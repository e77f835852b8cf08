import { sql, type Kysely } from 'kysely';
import { JobLeaseLostError, OutcomeUnknownError } from './errors.ts';
import { parseJson, toJson } from './rows.ts';
import type { EffectOptions } from './types.ts';

interface EffectRow {
  status: 'started' | 'completed';
  result: string | null;
}

/**
 * The side-effect journal of one claimed job. `started` is written (fenced on the claim token,
 * so a worker that lost its lease cannot start anything) before fn runs and `completed` with
 * fn's result after, so a later attempt knows which effects happened, which did not, and which
 * it cannot tell.
 */
export class EffectJournal {
  constructor(
    private readonly db: Kysely<any>,
    private readonly jobId: string,
    private readonly token: string,
  ) {}

  async run<T>(key: string, fn: () => Promise<T>, options: EffectOptions<T> = {}): Promise<T> {
    const recorded = await this.read(key);
    if (recorded) return this.resolveRecorded(key, recorded, options);

    const now = Date.now();
    const { rows } = await sql<{ job_id: string }>`
      insert into job_effects (job_id, effect_key, status, result, started_at, completed_at)
      select ${this.jobId}, ${key}, 'started', null, ${now}, null
      where exists (select 1 from jobs where id = ${this.jobId} and locked_by = ${this.token} and status = 'running')
      on conflict (job_id, effect_key) do nothing
      returning job_id`.execute(this.db);
    if (rows.length === 0) {
      const raced = await this.read(key);
      if (raced) return this.resolveRecorded(key, raced, options);
      throw new JobLeaseLostError(this.jobId);
    }

    let result: T;
    try {
      result = await fn();
    } catch (err) {
      // fn reported a failure: the effect did not happen, so a retry may try it again. An fn that
      // cannot tell (a timeout after the request was sent) throws OutcomeUnknownError to keep
      // the `started` mark and stop the job.
      if (!(err instanceof OutcomeUnknownError)) {
        await this.db.deleteFrom('job_effects').where('job_id', '=', this.jobId).where('effect_key', '=', key).where('status', '=', 'started').execute();
      }
      throw err;
    }
    await this.markCompleted(key, result);
    return result;
  }

  private async read(key: string): Promise<EffectRow | undefined> {
    return (await this.db
      .selectFrom('job_effects')
      .select(['status', 'result'])
      .where('job_id', '=', this.jobId)
      .where('effect_key', '=', key)
      .executeTakeFirst()) as EffectRow | undefined;
  }

  private async resolveRecorded<T>(key: string, row: EffectRow, options: EffectOptions<T>): Promise<T> {
    if (row.status === 'completed') return parseJson(row.result) as T;
    if (!options.onUnknown) throw new OutcomeUnknownError(key);
    const result = await options.onUnknown();
    await this.markCompleted(key, result);
    return result;
  }

  // Not fenced on the claim: once fn returned, the effect did happen, and recording that is true
  // whoever holds the job now.
  private async markCompleted(key: string, result: unknown): Promise<void> {
    await this.db
      .updateTable('job_effects')
      .set({ status: 'completed', result: toJson(result), completed_at: Date.now() })
      .where('job_id', '=', this.jobId)
      .where('effect_key', '=', key)
      .execute();
  }
}
