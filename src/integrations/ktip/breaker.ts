/**
 * A circuit breaker per credential: after `threshold` consecutive failures of the service
 * (5xx, 429 or timeouts that outlasted the client's retries) calls stop for `coolDownMs`, then
 * one probe is let through; its success closes the circuit. Keeps a failing portal (and the
 * credential's reputation with it) from being hammered by a burst of enrichments.
 */
export interface BreakerOptions {
  threshold: number;
  coolDownMs: number;
  now?: () => number;
}

interface State {
  failures: number;
  openUntil: number;
  probing: boolean;
}

export class CircuitBreakers {
  private readonly states = new Map<string, State>();
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** null when a call may go; otherwise the time the circuit may be probed again. */
  blockedUntil(key: string): number | null {
    const s = this.states.get(key);
    if (!s || s.openUntil === 0) return null;
    if (this.now() < s.openUntil || s.probing) return Math.max(s.openUntil, this.now());
    s.probing = true; // half-open: this caller is the probe
    return null;
  }

  success(key: string): void {
    this.states.delete(key);
  }

  failure(key: string): void {
    const s = this.states.get(key) ?? { failures: 0, openUntil: 0, probing: false };
    s.failures++;
    s.probing = false;
    if (s.failures >= this.options.threshold) s.openUntil = this.now() + this.options.coolDownMs;
    this.states.set(key, s);
  }

  /** A call that failed for a reason that says nothing about the service's health (e.g. 400). */
  neutral(key: string): void {
    const s = this.states.get(key);
    if (s) s.probing = false;
  }
}
