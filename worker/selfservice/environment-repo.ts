/** Stored sign-in environments per user: recorded at each portal sign-in, listed, named or forgotten by the user. */
import { AppError } from '../errors';
import { fingerprintOf, scoreEnvironment, type SignInEnvironment } from './environment';

/** Scores the environment against the user's history, and returns the statements that record this sign-in in it. */
export async function recordEnvironmentStatements(db: D1Database, userId: string, environment: SignInEnvironment, nowMs: number) {
  const { results } = await db
    .prepare('SELECT attributes, sign_in_count FROM user_environments WHERE user_id = ?')
    .bind(userId)
    .all<{ attributes: string; sign_in_count: number }>();
  const score = scoreEnvironment(
    environment,
    results.map((row) => ({ attributes: JSON.parse(row.attributes) as SignInEnvironment, signInCount: row.sign_in_count })),
  );
  const fingerprint = await fingerprintOf(environment);
  const statements = [
    db
      .prepare(
        `INSERT INTO user_environments (id, user_id, attributes, fingerprint, sign_in_count, first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT (user_id, fingerprint) DO UPDATE SET sign_in_count = sign_in_count + 1, last_seen_at = excluded.last_seen_at`,
      )
      .bind(crypto.randomUUID(), userId, JSON.stringify(environment), fingerprint, nowMs, nowMs),
  ];
  return { score, statements };
}

export interface EnvironmentView {
  id: string;
  name: string | null;
  attributes: SignInEnvironment;
  signInCount: number;
  firstSeenAt: number;
  lastSeenAt: number;
}

export async function listEnvironments(db: D1Database, userId: string): Promise<EnvironmentView[]> {
  const { results } = await db
    .prepare('SELECT id, name, attributes, sign_in_count, first_seen_at, last_seen_at FROM user_environments WHERE user_id = ? ORDER BY last_seen_at DESC')
    .bind(userId)
    .all<{ id: string; name: string | null; attributes: string; sign_in_count: number; first_seen_at: number; last_seen_at: number }>();
  return results.map((row) => ({
    id: row.id,
    name: row.name,
    attributes: JSON.parse(row.attributes) as SignInEnvironment,
    signInCount: row.sign_in_count,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
  }));
}

export async function nameEnvironment(db: D1Database, userId: string, id: string, name: string | null): Promise<void> {
  const result = await db.prepare('UPDATE user_environments SET name = ? WHERE id = ? AND user_id = ?').bind(name, id, userId).run();
  if (result.meta.changes === 0) throw new AppError('NOT_FOUND');
}

export async function forgetEnvironment(db: D1Database, userId: string, id: string): Promise<void> {
  const result = await db.prepare('DELETE FROM user_environments WHERE id = ? AND user_id = ?').bind(id, userId).run();
  if (result.meta.changes === 0) throw new AppError('NOT_FOUND');
}
