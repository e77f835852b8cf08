import { SessionExpiredError } from './errors.ts';

/**
 * One login for a whole batch, one logout at the end (even after a failure), and when the device
 * reports the session expired part-way, one fresh login and one more run of the batch. Batches
 * are idempotent (already-present values count as success), so running one again is safe; a
 * second expiry in a row is reported rather than looped on.
 */
export async function withSession<S, T>(ops: { login(): Promise<S>; logout(session: S): Promise<void> }, run: (session: S, attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const session = await ops.login();
    try {
      return await run(session, attempt);
    } catch (err) {
      if (err instanceof SessionExpiredError && attempt === 1) continue;
      throw err;
    } finally {
      // A logout that fails (the session is already gone) must not hide the outcome.
      await ops.logout(session).catch(() => {});
    }
  }
}
