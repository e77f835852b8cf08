/**
 * Errors a job handler (or the effect journal) throws to tell the worker how an attempt ended.
 * Any other error is a transient failure: the job is retried with backoff until max_attempts.
 */

/** The job can never succeed (bad payload, refused by the far side): fail now, no retry. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/**
 * A side effect was started by an earlier attempt that never recorded its end (the worker died
 * or lost its lease in between), and nobody can tell whether it happened. Repeating it could do
 * it twice, so the job ends as failed with "outcome unknown" and a person decides.
 */
export class OutcomeUnknownError extends PermanentJobError {
  constructor(readonly effectKey: string) {
    super(`outcome unknown: side effect "${effectKey}" was started by an earlier attempt that did not record its result`);
    this.name = 'OutcomeUnknownError';
  }
}

/** This worker no longer holds the job (lease expired and another worker may run it). */
export class JobLeaseLostError extends Error {
  constructor(jobId: string) {
    super(`lease on job ${jobId} was lost`);
    this.name = 'JobLeaseLostError';
  }
}

/** The attempt ran longer than the kind's timeoutMs. Transient: retried like any failure. */
export class JobTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = 'JobTimeoutError';
  }
}
