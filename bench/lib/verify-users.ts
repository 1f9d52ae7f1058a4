/**
 * The verify benchmarks' users (bench/otp.ts, bench/verify-profile.ts): an enabled admin's verify-scoped API key,
 * one resource, and users each owning an HOTP hardware token assigned to it, written straight into a migrated D1;
 * then the request bodies that walk each user's codes in order.
 */
import { sha256Hex } from '../../worker/lib/crypto';
import { sealSeed } from '../../worker/tokens/secrets';
import { generateHotpCode } from './hotp';

/** The resource every benchmark user's token is assigned to. */
export const RESOURCE_NAME = 'bench-vpn';

export interface BenchUser {
  login: string;
  seed: Uint8Array;
}

/** Users, their HOTP hardware tokens (seeds sealed with the Worker's own sealSeed) and the resource assignment. */
export async function seedUsers(db: D1Database, seedKey: string, count: number, apiKey: string): Promise<BenchUser[]> {
  const nowMs = Date.now();
  const resourceId = crypto.randomUUID();
  const ownerId = crypto.randomUUID();
  await db.batch([
    db
      .prepare('INSERT INTO resources (id, name, description, created_at) VALUES (?, ?, ?, ?)')
      .bind(resourceId, RESOURCE_NAME, 'Benchmark resource', nowMs),
    // A key works only while its owner is an enabled administrator (worker/auth/api-keys.ts).
    db
      .prepare('INSERT INTO users (id, login, enabled, is_admin, created_at, updated_at) VALUES (?, ?, 1, 1, ?, ?)')
      .bind(ownerId, 'bench-admin', nowMs, nowMs),
    db
      .prepare("INSERT INTO api_keys (id, name, key_hash, key_prefix, scope, owner_user_id, created_at) VALUES (?, ?, ?, ?, 'verify', ?, ?)")
      .bind(crypto.randomUUID(), 'Benchmark key', await sha256Hex(apiKey), apiKey.slice(0, 10), ownerId, nowMs),
  ]);
  const users: BenchUser[] = [];
  const batchSize = 200;
  for (let start = 0; start < count; start += batchSize) {
    const statements: D1PreparedStatement[] = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const user = { login: `bench-user-${String(i).padStart(6, '0')}`, seed: crypto.getRandomValues(new Uint8Array(20)) };
      users.push(user);
      const userId = crypto.randomUUID();
      const tokenId = crypto.randomUUID();
      statements.push(
        db
          .prepare(
            'INSERT INTO users (id, login, first_name, last_name, language, enabled, is_admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)',
          )
          .bind(userId, user.login, 'Bench', `User ${i}`, 'en', nowMs, nowMs),
        db
          .prepare(
            `INSERT INTO tokens (id, serial, type, kind, description, algorithm, digits, period_seconds, counter, secret_encrypted, enabled, activated, owner_user_id, created_at)
             VALUES (?, ?, 'HOTP', 'hardware', 'Benchmark token', 'SHA1', 6, 30, 0, ?, 1, 1, ?, ?)`,
          )
          .bind(tokenId, `BENCH-${String(i).padStart(6, '0')}`, await sealSeed(seedKey, tokenId, user.seed), userId, nowMs),
        db
          .prepare(
            "INSERT INTO assignments (id, resource_id, user_id, kind, token_id, created_at) VALUES (?, ?, ?, 'token_with_user', ?, ?)",
          )
          .bind(crypto.randomUUID(), resourceId, userId, tokenId, nowMs),
      );
    }
    await db.batch(statements);
  }
  return users;
}

/** Request j: user i = j % U with that user's code for counter counters[i] + floor(j / U). */
export function verifyBodies(users: BenchUser[], counters: number[], codesPerUser: number): string {
  const lines: string[] = [];
  for (let round = 0; round < codesPerUser; round++) {
    users.forEach((user, i) => lines.push(JSON.stringify({ login: user.login, resource: RESOURCE_NAME, otp: generateHotpCode(user.seed, counters[i]! + round) })));
  }
  return lines.join('\n') + '\n';
}

/**
 * Each user's first counter for the next file, after `sent` lines of a file made by verifyBodies: past the codes
 * that were sent, and one more (a request in flight when wrk stopped may or may not have consumed its code), so
 * every user's next code is a few counters ahead of the token at most (within HOTP_LOOK_AHEAD_COUNTERS).
 */
export function countersAfter(counters: number[], sent: number, codesPerUser: number): number[] {
  return counters.map((first, i) => first + Math.min(codesPerUser, Math.max(0, Math.ceil((sent - i) / counters.length))) + 1);
}
