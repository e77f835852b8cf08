export { createJobQueue, type JobQueue, type JobQueueOptions } from './queue.ts';
export { jobsMigrations, JOBS_NOTIFY_CHANNEL } from './migrations.ts';
export { PermanentJobError, OutcomeUnknownError, JobLeaseLostError, JobTimeoutError } from './errors.ts';
export { backoffDelay } from './backoff.ts';
export * from './types.ts';
