// Sigma string values: `*` and `?` wildcards, `\` escapes (`\*`, `\?`, `\\`; a lone `\` is literal).
// A pattern is compiled once into the cheapest matcher (equality, prefix, suffix, substring, or a
// regular expression) working on lower-cased text unless the value is `cased`.

export type Token = string | { w: '*' | '?' };

export function tokenize(value: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (value[i + 1] === '*' || value[i + 1] === '?' || value[i + 1] === '\\')) {
      lit += value[i + 1];
      i++;
    } else if (c === '*' || c === '?') {
      if (lit) out.push(lit);
      lit = '';
      out.push({ w: c });
    } else lit += c;
  }
  if (lit) out.push(lit);
  return out;
}

/** Tokens of a plain string (no wildcard interpretation), e.g. after base64 encoding. */
export function literalTokens(s: string): Token[] {
  return s ? [s] : [];
}

export type StringMatcher = (v: string) => boolean;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds a matcher for tokens; `v` passed to the matcher is already lower-cased unless `cased`. */
export function compileTokens(input: Token[], cased: boolean): StringMatcher {
  // `**` is the same as `*`: collapse so that `contains` over `*x*` stays a substring test.
  const tokens = input.filter((t, i) => !(typeof t !== 'string' && t.w === '*' && i > 0 && typeof input[i - 1] !== 'string' && (input[i - 1] as { w: string }).w === '*'));
  const norm = (s: string) => (cased ? s : s.toLowerCase());
  const isStar = (t: Token) => typeof t !== 'string' && t.w === '*';
  const hasQ = tokens.some((t) => typeof t !== 'string' && t.w === '?');
  const inner = tokens.filter((t, i) => !(isStar(t) && (i === 0 || i === tokens.length - 1)));
  if (!hasQ && inner.every((t) => typeof t === 'string')) {
    const lit = norm(inner.join(''));
    const lead = tokens.length > 0 && isStar(tokens[0]);
    const trail = tokens.length > 1 && isStar(tokens[tokens.length - 1]);
    if (tokens.length === 0) return (v) => v === '';
    if (tokens.length === 1 && lead) return () => true;
    if (lead && trail) return (v) => v.includes(lit);
    if (lead) return (v) => v.endsWith(lit);
    if (trail) return (v) => v.startsWith(lit);
    return (v) => v === lit;
  }
  const src = tokens.map((t) => (typeof t === 'string' ? escapeRe(norm(t)) : t.w === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  const re = new RegExp(`^${src}$`);
  return (v) => re.test(v);
}

/** The longest literal run (lower-cased), used as a pre-filter witness. */
export function longestLiteral(tokens: Token[]): string {
  let best = '';
  for (const t of tokens) if (typeof t === 'string' && t.length > best.length) best = t;
  return best.toLowerCase();
}
