/**
 * Our HOTP/TOTP against an independent implementation: Debian's oathtool (OATH Toolkit), at random seeds,
 * counters and times, for every hash, 6 and 8 digits, 30 and 60 second periods. A seeded PRNG makes a failure
 * reproducible; the seed and parameters are in the test name.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateHotp, importHmacKey } from '../../worker/otp/hotp';
import { generateTotp } from '../../worker/otp/totp';

const OATHTOOL = ['/usr/bin/oathtool', '/usr/local/bin/oathtool'].find(existsSync);

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(4226_6238);
const ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
const SEED_BYTES = { SHA1: 20, SHA256: 32, SHA512: 64 };

const cases = Array.from({ length: 60 }, (_, i) => {
  const algorithm = ALGORITHMS[i % 3]!;
  const seed = Buffer.from(Array.from({ length: SEED_BYTES[algorithm] }, () => Math.floor(random() * 256)));
  return {
    algorithm,
    seedHex: seed.toString('hex'),
    digits: random() < 0.5 ? 6 : 8,
    counter: Math.floor(random() * 2 ** 32),
    periodSeconds: random() < 0.5 ? 30 : 60,
    // Any time between 1970 and 2100, to the second.
    unixSeconds: Math.floor(random() * 4_102_444_800),
  };
});

function oathtool(args: string[]): string {
  return execFileSync(OATHTOOL!, args, { encoding: 'utf8' }).trim();
}

describe.skipIf(!OATHTOOL)('agreement with Debian oathtool', () => {
  // oathtool's --hotp is SHA1 only (its --totp takes the hash), so HOTP is compared for SHA1 seeds.
  it.each(cases.filter((c) => c.algorithm === 'SHA1'))('HOTP $algorithm $digits digits, counter $counter', async ({ algorithm, seedHex, digits, counter }) => {
    const expected = oathtool(['--hotp', `--digits=${digits}`, `--counter=${counter}`, seedHex]);
    const key = await importHmacKey(Buffer.from(seedHex, 'hex'), algorithm);
    expect(await generateHotp(key, counter, digits)).toBe(expected);
  });

  it.each(cases)('TOTP $algorithm $digits digits, $periodSeconds s, at $unixSeconds', async ({ algorithm, seedHex, digits, periodSeconds, unixSeconds }) => {
    const now = new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    const expected = oathtool([`--totp=${algorithm.toLowerCase()}`, `--digits=${digits}`, `--time-step-size=${periodSeconds}s`, `--now=${now}`, seedHex]);
    const key = await importHmacKey(Buffer.from(seedHex, 'hex'), algorithm);
    expect(await generateTotp(key, unixSeconds * 1000, periodSeconds, digits)).toBe(expected);
  });
});

it('oathtool is installed (npm test installs it; without it the comparison above would be skipped)', () => {
  expect(OATHTOOL, 'apt-get install oathtool').toBeTruthy();
});
