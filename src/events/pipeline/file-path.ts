// Where file collectors may read. A file collector reads the server's filesystem, so the
// installation lists the directories it may read from (XDRHUB_FILE_COLLECTOR_DIRS) and every path
// is resolved by the kernel's rules (symlinks and `..` through realpath) before the prefix check:
// `/var/log/app/../../../etc/shadow` or a symlink `/var/log/app/x -> /etc/shadow` is outside.
// The check runs when a collector is created or re-pathed (a 400) and again each time the tailer
// opens the file, since a symlink can be planted after the collector was accepted.
import fs from 'node:fs';
import path from 'node:path';

/** Parses XDRHUB_FILE_COLLECTOR_DIRS: colon-separated absolute directories; unset or empty = none. */
export function parseFileCollectorDirs(value: string | undefined): string[] {
  if (!value || !value.trim()) return [];
  const dirs = value.split(':').map((d) => d.trim()).filter(Boolean);
  for (const d of dirs) {
    if (!path.isAbsolute(d) || d.includes('\0')) throw new Error(`XDRHUB_FILE_COLLECTOR_DIRS must list absolute directories separated by ":", got "${d}"`);
  }
  return dirs.map((d) => path.resolve(d));
}

/**
 * The real path of `p` as far as it exists, with the missing tail appended. Throws when that tail
 * holds `.` or `..`: path.join would fold them lexically, which is not what the kernel does once
 * the missing directories exist (they may be symlinks by then).
 */
async function realpathOfExisting(p: string): Promise<string> {
  const missing: string[] = [];
  let cur = p;
  for (;;) {
    try {
      const real = await fs.promises.realpath(cur);
      if (missing.some((s) => s === '.' || s === '..')) throw new DotsInMissingPart();
      return missing.length ? path.join(real, ...missing.reverse()) : real;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      missing.push(path.basename(cur));
      cur = parent;
    }
  }
}

class DotsInMissingPart extends Error {}

const inside = (real: string, dir: string) => real === dir || real.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

export type PathCheck = { ok: true; real: string } | { ok: false; reason: string };

/**
 * Checks a configured path against the allowed directories. The path must be absolute and free
 * of NUL; a part that does not exist yet is fine (the tailer waits for the file), but its missing
 * components may not be `.` or `..` (they cannot be resolved without the kernel).
 */
export async function checkFilePath(p: string, allowedDirs: readonly string[]): Promise<PathCheck> {
  if (p.includes('\0')) return { ok: false, reason: 'must not contain NUL' };
  if (!path.isAbsolute(p)) return { ok: false, reason: 'must be an absolute path' };
  if (allowedDirs.length === 0) return { ok: false, reason: 'file collectors are disabled on this server: the administrator lists the directories they may read in XDRHUB_FILE_COLLECTOR_DIRS' };
  let real: string;
  try {
    real = await realpathOfExisting(p);
  } catch (err) {
    if (err instanceof DotsInMissingPart) return { ok: false, reason: 'the part of the path that does not exist yet must not contain "." or ".."' };
    return { ok: false, reason: `cannot be resolved: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  // An allowed directory may itself be a symlink (/var/log -> /data/log): compare real paths.
  const dirs = await Promise.all(allowedDirs.map((d) => realpathOfExisting(d).catch(() => d)));
  if (!dirs.some((d) => inside(real, d))) return { ok: false, reason: `is outside the directories file collectors may read (XDRHUB_FILE_COLLECTOR_DIRS: ${allowedDirs.join(':')}) once symlinks and ".." are resolved` };
  if (dirs.some((d) => real === d)) return { ok: false, reason: 'names an allowed directory itself, not a file in it' };
  return { ok: true, real };
}
