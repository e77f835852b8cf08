// The Sigma condition grammar: `or` < `and` < `not` < `1 of` / `all of` < parentheses.
// `them` means every search identifier except those starting with `_`; patterns use `*`.
import type { Node, Witness } from './types.ts';

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

/** Quality of a group: longer shortest literal and fewer literals prune more candidates. */
function groupScore(g: string[]): number {
  let min = Infinity;
  for (const l of g) min = Math.min(min, l.length);
  return min * 100 - g.length;
}

const MAX_GROUPS = 4;

/**
 * Literal witnesses in conjunctive form: for the node to match, every group must have one of its
 * lower-cased literals in the event text. null = no usable requirement (always a candidate).
 */
export function witnesses(node: Node): Witness | null {
  switch (node.t) {
    case 'leaf':
      return node.witness === null ? null : [node.witness];
    case 'const':
    case 'not':
      return null;
    case 'or': {
      // One group: the union of each alternative's best group.
      const union: string[] = [];
      for (const c of node.c) {
        const w = witnesses(c);
        if (w === null || w.length === 0) return null;
        const best = w.reduce((a, b) => (groupScore(b) > groupScore(a) ? b : a));
        union.push(...best);
      }
      return [[...new Set(union)]];
    }
    case 'and': {
      const groups: string[][] = [];
      for (const c of node.c) {
        const w = witnesses(c);
        if (w !== null) groups.push(...w);
      }
      if (groups.length === 0) return null;
      return groups.sort((a, b) => groupScore(b) - groupScore(a)).slice(0, MAX_GROUPS);
    }
  }
}
