/**
 * Every statement of passkeys: a user's own list (what /profile shows, renaming and removing one), the WebAuthn
 * challenges and credentials the ceremonies (ceremonies.ts) read and write. Row types come from
 * worker/db/schema.ts; the statements that decide (taking a challenge, storing a counter) are single conditional
 * statements, each with what its condition guarantees.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { activityStatementIf, type ActivityInput } from '../activities/repo';
import { createDb, d1Statement } from '../db/client';
import { challenges, passkeyCredentials, tokens } from '../db/schema';
import { AppError } from '../errors';
import { CONSUMED_BY_PREVIOUS_STATEMENT, tokenInsertStatement } from '../tokens/repo';

export interface PasskeyEntry {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  backedUp: boolean;
  transports: string[];
}

const isPasskeyOf = (userId: string) => and(eq(tokens.type, 'PASSKEY'), eq(tokens.ownerUserId, userId));

function entriesOf(d1: D1Database) {
  return createDb(d1)
    .select({
      id: tokens.id,
      name: tokens.description,
      createdAt: tokens.createdAt,
      lastUsedAt: tokens.lastUsedAt,
      backedUp: passkeyCredentials.backedUp,
      transports: passkeyCredentials.transports,
    })
    .from(tokens)
    .innerJoin(passkeyCredentials, eq(passkeyCredentials.tokenId, tokens.id));
}

const toEntry = (row: Omit<PasskeyEntry, 'transports'> & { transports: string }): PasskeyEntry => ({ ...row, transports: JSON.parse(row.transports) as string[] });

export async function listPasskeys(d1: D1Database, userId: string): Promise<PasskeyEntry[]> {
  const rows = await entriesOf(d1).where(isPasskeyOf(userId)).orderBy(asc(tokens.createdAt));
  return rows.map(toEntry);
}

export async function getPasskey(d1: D1Database, userId: string, tokenId: string): Promise<PasskeyEntry> {
  const row = await entriesOf(d1)
    .where(and(isPasskeyOf(userId), eq(tokens.id, tokenId)))
    .get();
  if (!row) throw new AppError('PASSKEY_NOT_FOUND');
  return toEntry(row);
}

export async function renamePasskey(d1: D1Database, userId: string, tokenId: string, name: string): Promise<PasskeyEntry> {
  const result = await createDb(d1)
    .update(tokens)
    .set({ description: name })
    .where(and(eq(tokens.id, tokenId), isPasskeyOf(userId)));
  if (result.meta.changes !== 1) throw new AppError('PASSKEY_NOT_FOUND');
  return getPasskey(d1, userId, tokenId);
}

/**
 * Removes the user's passkey in one batch: its assignments fall back to plain "user" first (the assignments CHECK
 * forbids a dangling "token with user"), its credential goes, then the token, and `activity` is written only when
 * the token did. Every statement is conditioned on the token being this user's passkey, so naming someone else's
 * changes nothing: PASSKEY_NOT_FOUND.
 */
export async function removePasskey(d1: D1Database, userId: string, tokenId: string, activity: ActivityInput): Promise<void> {
  const owned = `EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND owner_user_id = ?1 AND type = 'PASSKEY')`;
  const [, , deleted] = await d1.batch([
    d1.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    d1.prepare(`DELETE FROM passkey_credentials WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    d1.prepare(`DELETE FROM tokens WHERE id = ? AND owner_user_id = ? AND type = 'PASSKEY' RETURNING id`).bind(tokenId, userId),
    activityStatementIf(d1, activity, CONSUMED_BY_PREVIOUS_STATEMENT),
  ]);
  if (deleted!.results.length !== 1) throw new AppError('PASSKEY_NOT_FOUND');
}

/** What the admin center shows of a passkey beside the token's own fields (never anything secret: a public key). */
export interface PasskeyFacts {
  aaguid: string;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  signCount: number;
  /** When a signature counter failed to go up (a cloned authenticator); refused since. */
  suspiciousAt: number | null;
}

/** The facts of the passkeys among `tokenIds`: a read only when there is one. */
export async function passkeyFactsOf(d1: D1Database, tokenIds: string[]): Promise<Map<string, PasskeyFacts>> {
  const facts = new Map<string, PasskeyFacts>();
  if (tokenIds.length === 0) return facts;
  const rows = await createDb(d1).select().from(passkeyCredentials).where(inArray(passkeyCredentials.tokenId, tokenIds));
  for (const row of rows) {
    facts.set(row.tokenId, {
      aaguid: row.aaguid,
      transports: JSON.parse(row.transports) as string[],
      backupEligible: row.backupEligible,
      backedUp: row.backedUp,
      signCount: row.signCount,
      suspiciousAt: row.suspiciousAt,
    });
  }
  return facts;
}

// ---------------------------------------------------------------- ceremonies: challenges

export type ChallengeRow = typeof challenges.$inferInsert;

/** Stores a challenge in place of the older ones of the same purpose and binding, in one batch. */
export async function replaceChallenge(d1: D1Database, challenge: ChallengeRow & { target: string }): Promise<void> {
  const db = createDb(d1);
  await d1.batch([
    d1Statement(d1, db.delete(challenges).where(and(eq(challenges.purpose, challenge.purpose), eq(challenges.target, challenge.target)))),
    d1Statement(d1, db.insert(challenges).values(challenge)),
  ]);
}

/**
 * Takes a challenge in ONE conditional DELETE ... RETURNING: only while it is unexpired, of this purpose and bound
 * to `target` and `userId`. Of N concurrent copies of one response exactly one gets the row; a replay gets none.
 */
export async function takeChallengeRow(d1: D1Database, query: { id: string; purpose: string; target: string; userId: string | null; nowMs: number }): Promise<string | null> {
  const [taken] = await createDb(d1)
    .delete(challenges)
    .where(
      and(
        eq(challenges.id, query.id),
        eq(challenges.purpose, query.purpose),
        eq(challenges.target, query.target),
        sql`${challenges.userId} IS ${query.userId}`,
        sql`${challenges.expiresAt} > ${query.nowMs}`,
      ),
    )
    .returning({ data: challenges.data });
  return taken?.data ?? null;
}

// ---------------------------------------------------------------- ceremonies: credentials

/** The credential ids (and transports) of every passkey of the user. */
export async function credentialsOfUser(d1: D1Database, userId: string) {
  return createDb(d1)
    .select({ credentialId: passkeyCredentials.credentialId, transports: passkeyCredentials.transports })
    .from(passkeyCredentials)
    .innerJoin(tokens, eq(tokens.id, passkeyCredentials.tokenId))
    .where(isPasskeyOf(userId));
}

export async function credentialIdTaken(d1: D1Database, credentialId: string): Promise<boolean> {
  const row = await createDb(d1).select({ tokenId: passkeyCredentials.tokenId }).from(passkeyCredentials).where(eq(passkeyCredentials.credentialId, credentialId)).get();
  return row !== undefined;
}

/** The PASSKEY token and its credential, for the caller's batch. */
export function passkeyInsertStatements(
  d1: D1Database,
  token: { id: string; serial: string; kind: 'software' | 'hardware'; name: string; ownerUserId: string; nowMs: number },
  credential: Omit<typeof passkeyCredentials.$inferInsert, 'tokenId'>,
): D1PreparedStatement[] {
  return [
    tokenInsertStatement(d1, {
      id: token.id,
      serial: token.serial,
      type: 'PASSKEY',
      kind: token.kind,
      description: token.name,
      enabled: true,
      activated: true,
      ownerUserId: token.ownerUserId,
      createdAt: token.nowMs,
    }),
    d1Statement(d1, createDb(d1).insert(passkeyCredentials).values({ tokenId: token.id, ...credential })),
  ];
}

/** Runs a registration's batch (the unique credential id refuses a second copy: the caller maps that error). */
export async function insertPasskeyRows(d1: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  await d1.batch(statements);
}

/** The credentials of the given passkeys that may sign in: enabled, activated, not suspicious. */
export async function usableCredentialsOfTokens(d1: D1Database, tokenIds: string[]) {
  if (tokenIds.length === 0) return [];
  return createDb(d1)
    .select({ credentialId: passkeyCredentials.credentialId, transports: passkeyCredentials.transports })
    .from(passkeyCredentials)
    .innerJoin(tokens, eq(tokens.id, passkeyCredentials.tokenId))
    .where(
      and(
        eq(tokens.type, 'PASSKEY'),
        eq(tokens.enabled, true),
        eq(tokens.activated, true),
        isNull(passkeyCredentials.suspiciousAt),
        inArray(passkeyCredentials.tokenId, tokenIds),
      ),
    );
}

/** A credential with the state of its PASSKEY token, by the credential id the browser names. */
export async function readCredential(d1: D1Database, credentialId: string) {
  return createDb(d1)
    .select({
      tokenId: passkeyCredentials.tokenId,
      credentialId: passkeyCredentials.credentialId,
      publicKey: passkeyCredentials.publicKey,
      signCount: passkeyCredentials.signCount,
      transports: passkeyCredentials.transports,
      suspiciousAt: passkeyCredentials.suspiciousAt,
      enabled: tokens.enabled,
      activated: tokens.activated,
      ownerUserId: tokens.ownerUserId,
    })
    .from(passkeyCredentials)
    .innerJoin(tokens, eq(tokens.id, passkeyCredentials.tokenId))
    .where(and(eq(passkeyCredentials.credentialId, credentialId), eq(tokens.type, 'PASSKEY')))
    .get();
}

/**
 * Stores a signature counter by ONE conditional UPDATE that refuses one not going up (a cloned authenticator):
 * only a higher counter, or 0 again from an authenticator that keeps none, on a credential not suspicious. The
 * token's last use follows only if that changed the row. False: refused.
 */
export async function storeSignCount(d1: D1Database, update: { tokenId: string; newCounter: number; backedUp: boolean; nowMs: number }): Promise<boolean> {
  const [counted] = await d1.batch([
    d1
      .prepare(
        `UPDATE passkey_credentials SET sign_count = ?2, backed_up = ?3
         WHERE token_id = ?1 AND suspicious_at IS NULL AND (sign_count < ?2 OR (sign_count = 0 AND ?2 = 0))`,
      )
      .bind(update.tokenId, update.newCounter, update.backedUp ? 1 : 0),
    d1.prepare(`UPDATE tokens SET last_used_at = ? WHERE id = ? AND ${CONSUMED_BY_PREVIOUS_STATEMENT}`).bind(update.nowMs, update.tokenId),
  ]);
  return counted!.meta.changes === 1;
}

/** Refused from now on; the first time it was seen stays. */
export async function markCredentialSuspicious(d1: D1Database, tokenId: string, nowMs: number): Promise<void> {
  await createDb(d1)
    .update(passkeyCredentials)
    .set({ suspiciousAt: nowMs })
    .where(and(eq(passkeyCredentials.tokenId, tokenId), isNull(passkeyCredentials.suspiciousAt)));
}
