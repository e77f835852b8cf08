import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { invalidField } from '../../platform/errors.ts';
import { describeIssue, type ValidationIssue } from '../../platform/http/errors.ts';

const compiled = new WeakMap<TSchema, ReturnType<typeof Compile>>();

/**
 * Validates a value against a connector schema, applying defaults, and throws a 400 that names
 * the failing field (`config.url: …`). Connector schemas come from code, so compile once.
 */
export function validateAgainst<T>(schema: TSchema, value: unknown, prefix: string): T {
  let check = compiled.get(schema);
  if (!check) {
    check = Compile(schema);
    compiled.set(schema, check);
  }
  const withDefaults = Value.Default(schema, structuredClone(value ?? {}));
  if (check.Check(withDefaults)) return withDefaults as T;
  const [first] = check.Errors(withDefaults) as ValidationIssue[];
  const { field, message } = describeIssue(prefix, first ?? {});
  throw invalidField(field, message);
}

/** Fills schema defaults in (e.g. a root-only toggle dropped from a copy falls back to its default). */
export function withDefaults<T>(schema: TSchema, value: unknown): T {
  return Value.Default(schema, structuredClone(value ?? {})) as T;
}
