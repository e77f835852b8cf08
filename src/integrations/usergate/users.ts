import { withSession } from '../firewall-common/session.ts';
import { UsergateClient, itemsOf, type Ctx } from './client.ts';

/**
 * "Log out the users" (reference §7.1): ends the session of every user currently authorised on
 * UserGate, so each has to authenticate again. The method names are not in public sources [I]:
 * v1.auth.sessions.list(token, offset, limit, filter) → {items:[{id, user, ip}]} and
 * v1.auth.session.logout(token, id). The simulator speaks the same.
 */
export async function logoutAllUsers(ctx: Ctx): Promise<{ loggedOut: { user: string; ip: string }[]; failed: number }> {
  const api = new UsergateClient(ctx);
  return withSession({ login: () => api.login(), logout: (s) => api.logout(s) }, async (s) => {
    const sessions = itemsOf(await api.call('v1.auth.sessions.list', [s.token, 0, 100_000, {}]));
    const loggedOut: { user: string; ip: string }[] = [];
    let failed = 0;
    for (const session of sessions) {
      try {
        await api.call('v1.auth.session.logout', [s.token, String(session.id)]);
        loggedOut.push({ user: String(session.user ?? ''), ip: String(session.ip ?? '') });
      } catch (err) {
        // A user who logged out meanwhile is not a failure of the action; count the rest.
        if (err instanceof Error && err.name === 'SessionExpiredError') throw err;
        failed++;
      }
    }
    return { loggedOut, failed };
  });
}
