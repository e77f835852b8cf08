import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, nextDelayMs, parseRetryAfter, retryPolicy } from './retry.ts';

test('idempotent methods get two retries by default; POST none unless marked idempotent', () => {
  for (const m of ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']) assert.equal(retryPolicy(m, undefined, undefined).retries, 2, m);
  for (const m of ['POST', 'PATCH']) assert.equal(retryPolicy(m, undefined, undefined).retries, 0, m);
  assert.equal(retryPolicy('POST', undefined, true).retries, 2);
  assert.equal(retryPolicy('GET', undefined, false).retries, 0, 'a caller can declare a GET unsafe to repeat');
  assert.equal(retryPolicy('POST', { retries: 4 }, undefined).retries, 4, 'explicit retries win');
});

test('backoff is exponential with full jitter, capped', () => {
  const p = retryPolicy('GET', { minDelayMs: 100, maxDelayMs: 1000 }, undefined);
  assert.equal(backoffMs(0, p, () => 1), 100);
  assert.equal(backoffMs(2, p, () => 1), 400);
  assert.equal(backoffMs(10, p, () => 1), 1000, 'capped');
  assert.equal(backoffMs(3, p, () => 0), 0, 'full jitter reaches zero');
  for (let i = 0; i < 100; i++) {
    const d = backoffMs(3, p);
    assert.ok(d >= 0 && d <= 800);
  }
});

test('Retry-After wins over a shorter backoff; beyond maxRetryAfterMs the call is given back', () => {
  const p = retryPolicy('GET', { minDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 5000 }, undefined);
  assert.equal(nextDelayMs(0, p, 2, () => 1), 2000);
  assert.equal(nextDelayMs(0, p, undefined, () => 1), 10);
  assert.equal(nextDelayMs(0, p, 6), null);
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7);
  assert.equal(parseRetryAfter(['3'], now), 3);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
