// Aho-Corasick over UTF-16 code units: one pass over the event text reports which of many
// literals occur. Used as the rule pre-filter (rsigma's "witness" idea). For code units below
// 128 the automaton is a full DFA table (no failure-link walks in the hot loop).

const ASCII = 128;

export class AhoCorasick {
  private readonly delta: Int32Array;
  private readonly wide: Array<Map<number, number>> = [];
  private readonly fail: Int32Array;
  private readonly out: Int32Array[];

  constructor(patterns: readonly string[]) {
    const next: Array<Map<number, number>> = [new Map()];
    const outs: number[][] = [[]];
    patterns.forEach((p, idx) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        let t = next[s].get(c);
        if (t === undefined) {
          t = next.length;
          next.push(new Map());
          outs.push([]);
          next[s].set(c, t);
        }
        s = t;
      }
      outs[s].push(idx);
    });
    const n = next.length;
    this.fail = new Int32Array(n);
    this.delta = new Int32Array(n * ASCII);
    // Breadth-first: failure links, outputs merged along them, and the ASCII DFA rows.
    const order: number[] = [0];
    for (let qi = 0; qi < order.length; qi++) {
      const s = order[qi];
      for (const [c, t] of next[s]) {
        order.push(t);
        if (s === 0) this.fail[t] = 0;
        else {
          let f = this.fail[s];
          while (f !== 0 && !next[f].has(c)) f = this.fail[f];
          const ft = next[f].get(c);
          this.fail[t] = ft !== undefined ? ft : 0;
        }
        if (outs[this.fail[t]].length) outs[t] = outs[t].concat(outs[this.fail[t]]);
      }
    }
    for (const s of order) {
      for (let c = 0; c < ASCII; c++) {
        const t = next[s].get(c);
        this.delta[s * ASCII + c] = t !== undefined ? t : s === 0 ? 0 : this.delta[this.fail[s] * ASCII + c];
      }
    }
    for (let s = 0; s < n; s++) {
      const m = new Map<number, number>();
      for (const [c, t] of next[s]) if (c >= ASCII) m.set(c, t);
      this.wide.push(m);
    }
    this.out = outs.map((o) => Int32Array.from(o));
  }

  /** Calls `hit(patternIndex)` for every occurrence (possibly repeatedly). */
  scan(text: string, hit: (idx: number) => void): void {
    const delta = this.delta;
    const out = this.out;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < ASCII) s = delta[s * ASCII + c];
      else {
        let t = this.wide[s].get(c);
        while (t === undefined && s !== 0) {
          s = this.fail[s];
          t = this.wide[s].get(c);
        }
        s = t ?? 0;
      }
      const o = out[s];
      if (o.length !== 0) for (let k = 0; k < o.length; k++) hit(o[k]);
    }
  }
}
