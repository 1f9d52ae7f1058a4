/** Stored sign-in environments per user: recorded at each portal sign-in, listed, named or forgotten by the user. */
import { and, desc, eq, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { userEnvironments } from '../db/schema';
import { AppError } from '../errors';
import { fingerprintOf, scoreEnvironment, type SignInEnvironment } from './environment';

/** Scores the environment against the user's history, and returns the statements that record this sign-in in it. */
export async function recordEnvironmentStatements(d1: D1Database, userId: string, environment: SignInEnvironment, nowMs: number) {
  const db = createDb(d1);
  const history = await db.select({ attributes: userEnvironments.attributes, signInCount: userEnvironments.signInCount }).from(userEnvironments).where(eq(userEnvironments.userId, userId));
  const score = scoreEnvironment(
    environment,
    history.map((row) => ({ attributes: JSON.parse(row.attributes) as SignInEnvironment, signInCount: row.signInCount })),
  );
  const fingerprint = await fingerprintOf(environment);
  const statements = [
    d1Statement(
      d1,
      db
        .insert(userEnvironments)
        .values({ id: crypto.randomUUID(), userId, attributes: JSON.stringify(environment), fingerprint, signInCount: 1, firstSeenAt: nowMs, lastSeenAt: nowMs })
        .onConflictDoUpdate({
          target: [userEnvironments.userId, userEnvironments.fingerprint],
          set: { signInCount: sql`${userEnvironments.signInCount} + 1`, lastSeenAt: sql`excluded.last_seen_at` },
        }),
    ),
  ];
  return { score, statements };
}

export type EnvironmentView = Omit<typeof userEnvironments.$inferSelect, 'userId' | 'fingerprint' | 'attributes'> & { attributes: SignInEnvironment };

export async function listEnvironments(d1: D1Database, userId: string): Promise<EnvironmentView[]> {
  const rows = await createDb(d1)
    .select({
      id: userEnvironments.id,
      name: userEnvironments.name,
      attributes: userEnvironments.attributes,
      signInCount: userEnvironments.signInCount,
      firstSeenAt: userEnvironments.firstSeenAt,
      lastSeenAt: userEnvironments.lastSeenAt,
    })
    .from(userEnvironments)
    .where(eq(userEnvironments.userId, userId))
    .orderBy(desc(userEnvironments.lastSeenAt));
  return rows.map((row) => ({ ...row, attributes: JSON.parse(row.attributes) as SignInEnvironment }));
}

export async function nameEnvironment(d1: D1Database, userId: string, id: string, name: string | null): Promise<void> {
  const result = await createDb(d1)
    .update(userEnvironments)
    .set({ name })
    .where(and(eq(userEnvironments.id, id), eq(userEnvironments.userId, userId)));
  if (result.meta.changes === 0) throw new AppError('NOT_FOUND');
}

export async function forgetEnvironment(d1: D1Database, userId: string, id: string): Promise<void> {
  const result = await createDb(d1)
    .delete(userEnvironments)
    .where(and(eq(userEnvironments.id, id), eq(userEnvironments.userId, userId)));
  if (result.meta.changes === 0) throw new AppError('NOT_FOUND');
}
