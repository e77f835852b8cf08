// A small Aho-Corasick automaton over UTF-16 code units: one pass over the event text reports
// which of many literals occur. Used as the rule pre-filter (rsigma's "witness" idea).

export class AhoCorasick {
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  private readonly out: number[][] = [[]];

  constructor(patterns: readonly string[]) {
    patterns.forEach((p, idx) => {
      let s = 0;
      for (let i = 0; i < p.length; i++) {
        const c = p.charCodeAt(i);
        let t = this.next[s].get(c);
        if (t === undefined) {
          t = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.out.push([]);
          this.next[s].set(c, t);
        }
        s = t;
      }
      this.out[s].push(idx);
    });
    // Breadth-first failure links.
    const queue: number[] = [];
    for (const t of this.next[0].values()) queue.push(t);
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      for (const [c, t] of this.next[s]) {
        queue.push(t);
        let f = this.fail[s];
        while (f !== 0 && !this.next[f].has(c)) f = this.fail[f];
        const ft = this.next[f].get(c);
        this.fail[t] = ft !== undefined && ft !== t ? ft : 0;
        if (this.out[this.fail[t]].length) this.out[t] = this.out[t].concat(this.out[this.fail[t]]);
      }
    }
  }

  /** Calls `hit(patternIndex)` for every occurrence (possibly repeatedly). */
  scan(text: string, hit: (idx: number) => void): void {
    let s = 0;
    const next = this.next;
    const fail = this.fail;
    const out = this.out;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let t = next[s].get(c);
      while (t === undefined && s !== 0) {
        s = fail[s];
        t = next[s].get(c);
      }
      s = t ?? 0;
      const o = out[s];
      if (o.length) for (let k = 0; k < o.length; k++) hit(o[k]);
    }
  }
}
