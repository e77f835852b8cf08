// Test helper for this module's tests (not used by production code).
import assert from 'node:assert/strict';
import { OutboundError } from './errors.ts';

/** Awaits `p`, asserts it failed with an OutboundError of `kind`, and returns the error. */
export async function rejectsKind(p: Promise<unknown>, kind: string): Promise<OutboundError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutboundError, `expected an OutboundError, got ${err}`);
    assert.equal(err.kind, kind, `${err.kind}: ${err.message}`);
    return err;
  }
  assert.fail(`expected an OutboundError of kind ${kind}`);
}
