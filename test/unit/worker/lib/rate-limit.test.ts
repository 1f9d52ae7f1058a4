import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { consumeRateLimit, peekRateLimit, refundRateLimit } from '../../../../worker/lib/rate-limit';

const T0 = 1_800_000_000_000;

describe('fixed-window rate limit', () => {
  it('allows exactly `limit` hits per window, then says how long to wait', async () => {
    const key = `test:${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) expect(await consumeRateLimit(env.DB, key, 3, 60_000, T0 + i * 1000)).toMatchObject({ allowed: true, retryAfterMs: 0, count: i + 1 });
    expect(await consumeRateLimit(env.DB, key, 3, 60_000, T0 + 10_000)).toEqual({ allowed: false, retryAfterMs: 50_000, count: 4 });
    // Refused hits neither grow the count without bound nor extend the window.
    for (let i = 0; i < 5; i++) await consumeRateLimit(env.DB, key, 3, 60_000, T0 + 20_000);
    expect(await consumeRateLimit(env.DB, key, 3, 60_000, T0 + 59_999)).toEqual({ allowed: false, retryAfterMs: 1, count: 4 });
    expect(await consumeRateLimit(env.DB, key, 3, 60_000, T0 + 60_000)).toMatchObject({ allowed: true, count: 1 });
  });

  it('is atomic: concurrent hits never exceed the limit', async () => {
    const key = `test:${crypto.randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 25 }, () => consumeRateLimit(env.DB, key, 7, 60_000, T0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
  });

  it('keeps keys apart and can give a hit back', async () => {
    const a = `test:${crypto.randomUUID()}`;
    const b = `test:${crypto.randomUUID()}`;
    await consumeRateLimit(env.DB, a, 1, 60_000, T0);
    expect((await consumeRateLimit(env.DB, b, 1, 60_000, T0)).allowed).toBe(true);
    expect((await consumeRateLimit(env.DB, a, 1, 60_000, T0)).allowed).toBe(false);
    await refundRateLimit(env.DB, a, T0);
    await refundRateLimit(env.DB, a, T0);
    expect(await peekRateLimit(env.DB, a, 1, T0)).toMatchObject({ count: 0, allowed: true });
    expect((await consumeRateLimit(env.DB, a, 1, 60_000, T0)).allowed).toBe(true);
  });

  it('a limit of zero refuses everything', async () => {
    expect((await consumeRateLimit(env.DB, `test:${crypto.randomUUID()}`, 0, 60_000, T0)).allowed).toBe(false);
  });
});
