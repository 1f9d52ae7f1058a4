/**
 * The resources a token opens, for its admin page: those where it is assigned as "token with user", and those
 * where its owner has a plain "user" assignment, which accepts any of the owner's usable tokens (accepted-tokens.ts).
 */
import { AppError } from '../errors';

export interface TokenResource {
  id: string;
  name: string;
  /** 'token': assigned as this very token; 'user': through its owner's plain assignment. */
  via: 'token' | 'user';
}

export async function tokenResources(db: D1Database, tokenId: string): Promise<TokenResource[]> {
  const [token, rows] = await db.batch<{ id: string } | { id: string; name: string; via: 'token' | 'user' }>([
    db.prepare('SELECT id FROM tokens WHERE id = ?1').bind(tokenId),
    db
      .prepare(
        `SELECT r.id, r.name, CASE WHEN a.kind = 'token_with_user' THEN 'token' ELSE 'user' END AS via
         FROM assignments a JOIN resources r ON r.id = a.resource_id
         WHERE a.token_id = ?1 OR (a.kind = 'user' AND a.user_id = (SELECT owner_user_id FROM tokens WHERE id = ?1))
         ORDER BY lower(r.name)`,
      )
      .bind(tokenId),
  ]);
  if (token!.results.length === 0) throw new AppError('TOKEN_NOT_FOUND');
  return rows!.results as TokenResource[];
}
