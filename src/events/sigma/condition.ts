// The Sigma condition grammar: `or` < `and` < `not` < `1 of` / `all of` < parentheses.
// `them` means every search identifier except those starting with `_`; patterns use `*`.
import type { Node } from './types.ts';

type Tok = { k: 'id'; v: string } | { k: 'and' | 'or' | 'not' | '(' | ')' } | { k: 'of'; quant: 'one' | 'all' };

function tokenize(cond: string): Tok[] {
  const out: Tok[] = [];
  const words = cond.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').trim().split(/\s+/).filter((w) => w !== '');
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const lw = w.toLowerCase();
    if (lw === 'and' || lw === 'or' || lw === 'not') out.push({ k: lw });
    else if (w === '(' || w === ')') out.push({ k: w });
    else if ((lw === '1' || lw === 'any' || lw === 'all') && words[i + 1]?.toLowerCase() === 'of') {
      out.push({ k: 'of', quant: lw === 'all' ? 'all' : 'one' });
      i++;
    } else if (lw === '|') throw new Error('aggregation expressions (`| count()`) are not Sigma 2.x: use a correlation rule');
    else out.push({ k: 'id', v: w });
  }
  return out;
}

function globToRe(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Parses a condition into a node over the compiled search identifiers. */
export function parseCondition(cond: string, searches: ReadonlyMap<string, Node>): Node {
  const toks = tokenize(cond);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => toks[pos++];

  const ofPattern = (quant: 'one' | 'all', target: string): Node => {
    let names: string[];
    if (target === 'them') names = [...searches.keys()].filter((n) => !n.startsWith('_'));
    else {
      const re = globToRe(target);
      names = [...searches.keys()].filter((n) => re.test(n));
    }
    if (names.length === 0) throw new Error(`no search identifier matches ${JSON.stringify(target)}`);
    const c = names.map((n) => searches.get(n) as Node);
    return c.length === 1 ? c[0] : { t: quant === 'all' ? 'and' : 'or', c };
  };

  const primary = (): Node => {
    const t = next();
    if (!t) throw new Error('condition ends unexpectedly');
    if (t.k === '(') {
      const n = orExpr();
      if (next()?.k !== ')') throw new Error('missing closing parenthesis');
      return n;
    }
    if (t.k === 'of') {
      const target = next();
      if (!target || target.k !== 'id') throw new Error('expected an identifier pattern or `them` after `of`');
      return ofPattern(t.quant, target.v);
    }
    if (t.k === 'id') {
      const n = searches.get(t.v);
      if (!n) throw new Error(`unknown search identifier ${JSON.stringify(t.v)}`);
      return n;
    }
    throw new Error(`unexpected ${t.k} in condition`);
  };
  const notExpr = (): Node => {
    if (peek()?.k === 'not') {
      next();
      return { t: 'not', c: notExpr() };
    }
    return primary();
  };
  const andExpr = (): Node => {
    const c = [notExpr()];
    while (peek()?.k === 'and') {
      next();
      c.push(notExpr());
    }
    return c.length === 1 ? c[0] : { t: 'and', c };
  };
  const orExpr = (): Node => {
    const c = [andExpr()];
    while (peek()?.k === 'or') {
      next();
      c.push(andExpr());
    }
    return c.length === 1 ? c[0] : { t: 'or', c };
  };
  const node = orExpr();
  if (pos < toks.length) throw new Error(`unexpected token after the end of the condition`);
  return node;
}

/** Evaluates a node (short-circuit). */
export function evaluate(node: Node, ctx: Parameters<Extract<Node, { t: 'leaf' }>['test']>[0]): boolean {
  switch (node.t) {
    case 'leaf':
      return node.test(ctx);
    case 'and':
      for (const c of node.c) if (!evaluate(c, ctx)) return false;
      return true;
    case 'or':
      for (const c of node.c) if (evaluate(c, ctx)) return true;
      return false;
    case 'not':
      return !evaluate(node.c, ctx);
    case 'const':
      return node.v;
  }
}

/**
 * Literal witnesses: lower-cased strings of which at least one must occur in the event text for
 * the node to match, or null when no such set is known (then the rule is always a candidate).
 */
export function witnesses(node: Node): string[] | null {
  switch (node.t) {
    case 'leaf':
      return node.witness;
    case 'const':
      return node.v ? null : [];
    case 'not':
      return null;
    case 'or': {
      const all: string[] = [];
      for (const c of node.c) {
        const w = witnesses(c);
        if (w === null) return null;
        all.push(...w);
      }
      return [...new Set(all)];
    }
    case 'and': {
      let best: string[] | null = null;
      for (const c of node.c) {
        const w = witnesses(c);
        if (w === null) continue;
        // Prefer fewer, longer literals: they prune more candidates.
        if (best === null || w.length < best.length || (w.length === best.length && Math.min(...w.map((s) => s.length)) > Math.min(...best.map((s) => s.length)))) best = w;
      }
      return best;
    }
  }
}
