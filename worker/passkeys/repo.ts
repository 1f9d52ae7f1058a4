/** A user's own passkeys: the list /profile shows, renaming and removing one. */
import { activityStatementIf, type ActivityInput } from '../activities/record';
import { AppError } from '../errors';
import { CONSUMED_BY_PREVIOUS_STATEMENT } from '../otp/verify-service';

export interface PasskeyEntry {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  backedUp: boolean;
  transports: string[];
}

interface EntryRow {
  id: string;
  description: string;
  created_at: number;
  last_used_at: number | null;
  backed_up: number;
  transports: string;
}

const ENTRY_SQL = `SELECT t.id, t.description, t.created_at, t.last_used_at, pc.backed_up, pc.transports
  FROM tokens t JOIN passkey_credentials pc ON pc.token_id = t.id WHERE t.type = 'PASSKEY' AND t.owner_user_id = ?`;

const toEntry = (row: EntryRow): PasskeyEntry => ({
  id: row.id,
  name: row.description,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  backedUp: row.backed_up === 1,
  transports: JSON.parse(row.transports) as string[],
});

export async function listPasskeys(db: D1Database, userId: string): Promise<PasskeyEntry[]> {
  const { results } = await db.prepare(`${ENTRY_SQL} ORDER BY t.created_at`).bind(userId).all<EntryRow>();
  return results.map(toEntry);
}

export async function getPasskey(db: D1Database, userId: string, tokenId: string): Promise<PasskeyEntry> {
  const row = await db.prepare(`${ENTRY_SQL} AND t.id = ?`).bind(userId, tokenId).first<EntryRow>();
  if (!row) throw new AppError('PASSKEY_NOT_FOUND');
  return toEntry(row);
}

export async function renamePasskey(db: D1Database, userId: string, tokenId: string, name: string): Promise<PasskeyEntry> {
  const result = await db.prepare(`UPDATE tokens SET description = ? WHERE id = ? AND owner_user_id = ? AND type = 'PASSKEY'`).bind(name, tokenId, userId).run();
  if (result.meta.changes !== 1) throw new AppError('PASSKEY_NOT_FOUND');
  return getPasskey(db, userId, tokenId);
}

/**
 * Removes the user's passkey in one batch: its assignments fall back to plain "user" first (the assignments CHECK
 * forbids a dangling "token with user"), its credential goes, then the token, and `activity` is written only when
 * the token did. PASSKEY_NOT_FOUND when it is not the user's passkey.
 */
export async function removePasskey(db: D1Database, userId: string, tokenId: string, activity: ActivityInput): Promise<void> {
  const owned = `EXISTS (SELECT 1 FROM tokens WHERE id = ?2 AND owner_user_id = ?1 AND type = 'PASSKEY')`;
  const [, , deleted] = await db.batch([
    db.prepare(`UPDATE assignments SET kind = 'user', token_id = NULL WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    db.prepare(`DELETE FROM passkey_credentials WHERE token_id = ?2 AND ${owned}`).bind(userId, tokenId),
    db.prepare(`DELETE FROM tokens WHERE id = ? AND owner_user_id = ? AND type = 'PASSKEY' RETURNING id`).bind(tokenId, userId),
    activityStatementIf(db, activity, CONSUMED_BY_PREVIOUS_STATEMENT),
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
export async function passkeyFactsOf(db: D1Database, tokenIds: string[]): Promise<Map<string, PasskeyFacts>> {
  const facts = new Map<string, PasskeyFacts>();
  if (tokenIds.length === 0) return facts;
  const { results } = await db
    .prepare(`SELECT token_id, aaguid, transports, backup_eligible, backed_up, sign_count, suspicious_at FROM passkey_credentials WHERE token_id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(tokenIds))
    .all<{ token_id: string; aaguid: string; transports: string; backup_eligible: number; backed_up: number; sign_count: number; suspicious_at: number | null }>();
  for (const row of results) {
    facts.set(row.token_id, {
      aaguid: row.aaguid,
      transports: JSON.parse(row.transports) as string[],
      backupEligible: row.backup_eligible === 1,
      backedUp: row.backed_up === 1,
      signCount: row.sign_count,
      suspiciousAt: row.suspicious_at,
    });
  }
  return facts;
}
