/**
 * Real test peers (OpenSSH's sshd, Samba AD, Redmine, tinyproxy, Chromium) are skipped with the
 * reason on a developer's machine that lacks them. .ci/run installs every one and sets
 * XDRHUB_TEST_PEERS=required: there a missing peer fails the run instead of skipping quietly.
 */
export function peerMissing(reason: string | undefined): string | undefined {
  if (reason && process.env.XDRHUB_TEST_PEERS === 'required') throw new Error(`${reason}; XDRHUB_TEST_PEERS=required (set by .ci/run, which installs every test peer), so this fails instead of skipping`);
  return reason;
}
