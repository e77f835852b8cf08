// Value transformations of Sigma modifiers: windash, base64, base64offset, utf16le/wide, utf16be, utf16.

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** windash: every `-` or `/` that starts a word is expanded into all dash variants (pySigma semantics). */
export function windash(value: string): string[] {
  const positions: number[] = [];
  const re = /\B[-/]\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) positions.push(m.index);
  if (positions.length === 0) return [value];
  // Bound the permutations: beyond 4 positions, vary all positions together.
  if (positions.length > 4) return DASHES.map((d) => positions.reduce((s, p) => s.slice(0, p) + d + s.slice(p + 1), value));
  let out = [value];
  for (const p of positions) out = out.flatMap((s) => DASHES.map((d) => s.slice(0, p) + d + s.slice(p + 1)));
  return [...new Set(out)];
}

export type Encoded = Buffer;

export function utf16le(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}
export function utf16be(s: string): Buffer {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1], le[i]];
  return le;
}
export function utf16bom(s: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
}

export function base64(b: Buffer): string {
  return b.toString('base64');
}

/** The three base64 renderings of `b` at byte offsets 0, 1 and 2 inside a larger blob (pySigma). */
export function base64offset(b: Buffer): string[] {
  const startOffsets = [0, 2, 3];
  const endOffsets = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), b]).toString('base64');
    const end = endOffsets[(b.length + i) % 3];
    out.push(enc.slice(startOffsets[i], end === 0 ? undefined : end));
  }
  return out.filter((s) => s.length > 0);
}
