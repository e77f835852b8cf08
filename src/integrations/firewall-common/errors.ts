import { OutboundError } from '../../platform/outbound/index.ts';
import type { CheckResult, CheckStage } from '../framework/contract.ts';
import { InvalidValueError } from './values.ts';

/**
 * A failure in the device's own terms, with the stage a check-connection report shows and words
 * that say what to do. Messages never carry credentials or request bodies.
 */
export class FirewallError extends Error {
  override name = 'FirewallError';
  constructor(
    readonly stage: CheckStage,
    message: string,
    /** The device's error code (XML-RPC fault code, Sophos status code, Check Point code). */
    readonly code?: string | number,
  ) {
    super(message);
  }
}

/** The device says the session token is no longer valid: log in again once and retry. */
export class SessionExpiredError extends FirewallError {
  override name = 'SessionExpiredError';
  constructor(product: string) {
    super('authenticate', `${product} says the session expired`, 'session');
  }
}

/** A failed check from any error a connector can meet; unknown errors are rethrown. */
export function checkFailure(err: unknown, prefix: string): CheckResult {
  if (err instanceof InvalidValueError) return { ok: false, stage: 'config', message: err.message };
  if (err instanceof FirewallError || err instanceof OutboundError) return { ok: false, stage: err.stage, message: `${prefix}: ${err.message}` };
  throw err;
}
