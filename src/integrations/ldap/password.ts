import { randomInt } from 'node:crypto';

/**
 * Passwords for AD's unicodePwd: generation that satisfies the default complexity policy, and
 * the wire form AD requires (MS-ADTS 3.1.1.3.1.5.1).
 */
const CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%*+-=?@^_~'] as const;

/**
 * A random password of `length` characters with every character class (upper, lower, digit,
 * symbol) and, as AD's complexity rule demands, no run of 3+ characters of the account name or
 * of a display-name token. Look-alike characters are left out for the rare human who types it.
 */
export function randomPassword(length = 24, forbidden: string[] = []): string {
  if (length < 8 || length > 256) throw new RangeError('password length must be 8…256');
  const all = CLASSES.join('');
  const tokens = forbidden.flatMap((f) => f.split(/[\s,.\-_#\t]+/)).filter((t) => t.length >= 3).map((t) => t.toLowerCase());
  for (;;) {
    const chars = CLASSES.map((c) => c[randomInt(c.length)]);
    while (chars.length < length) chars.push(all[randomInt(all.length)]);
    // Fisher–Yates, so the guaranteed classes are not always first.
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j], chars[i]];
    }
    const pw = chars.join('');
    const lower = pw.toLowerCase();
    if (!tokens.some((t) => lower.includes(t))) return pw;
  }
}

/** unicodePwd: UTF-16LE of the password in double quotes. */
export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}
