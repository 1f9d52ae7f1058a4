/**
 * The admin's one page per user: the user, their tokens, their resource assignments, workspaces and groups, the
 * latest activities and the open access recovery request, read in one batch of queries.
 */
import { ACTIVITY_RETENTION_DAYS, DAY_MS } from '../constants';
import type { UserActivityType } from '../db/schema';
import { listMembershipsOfUser } from '../organisation/service';
import { listTokens, type TokenView } from '../tokens/service';
import { getUser, type UserView } from './service';

/** Activities shown on the user page; the full list is one click away under User Activities. */
export const USER_PAGE_RECENT_ACTIVITIES = 10;

export interface UserOverview {
  user: UserView;
  tokens: TokenView[];
  assignments: Array<{ resource: { id: string; name: string }; kind: 'user' | 'token_with_user'; token: { id: string; serial: string } | null }>;
  offices: Array<{ id: string; name: string }>;
  groups: Array<{ id: string; name: string }>;
  recentActivities: Array<{ id: string; type: UserActivityType; channel: string; ip: string | null; at: number }>;
  openIssues: Array<{ id: string; lost: string[]; resource: string | null; createdAt: number }>;
}

/** A user owns few tokens; this many is a page of them that no real user reaches. */
const TOKENS_SHOWN_MAX = 200;

export async function readUserOverview(db: D1Database, id: string, nowMs: number): Promise<UserOverview> {
  const user = await getUser(db, id);
  const [tokens, memberships, batch] = await Promise.all([
    listTokens(db, { ownerUserId: id, page: 1, pageSize: TOKENS_SHOWN_MAX }, nowMs),
    listMembershipsOfUser(db, id),
    db.batch<Record<string, unknown>>([
      db
        .prepare(
          `SELECT r.id, r.name, a.kind, a.token_id, t.serial FROM assignments a JOIN resources r ON r.id = a.resource_id
           LEFT JOIN tokens t ON t.id = a.token_id WHERE a.user_id = ? ORDER BY lower(r.name)`,
        )
        .bind(id),
      db
        .prepare('SELECT id, type, channel, ip, at FROM user_activities WHERE user_id = ? AND at >= ? ORDER BY at DESC, rowid DESC LIMIT ?')
        .bind(id, nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS, USER_PAGE_RECENT_ACTIVITIES),
      db.prepare(`SELECT i.id, i.lost, i.created_at, r.name AS resource FROM user_issues i LEFT JOIN resources r ON r.id = i.resource_id WHERE i.user_id = ? AND i.state = 'open'`).bind(id),
    ]),
  ]);
  const [assignments, activities, issues] = batch.map((result) => result.results);
  return {
    user,
    tokens: tokens.items,
    assignments: assignments!.map((row) => ({
      resource: { id: row.id as string, name: row.name as string },
      kind: row.kind as 'user' | 'token_with_user',
      token: row.token_id ? { id: row.token_id as string, serial: row.serial as string } : null,
    })),
    offices: memberships.offices,
    groups: memberships.groups,
    recentActivities: activities!.map((row) => ({ id: row.id as string, type: row.type as UserActivityType, channel: row.channel as string, ip: row.ip as string | null, at: row.at as number })),
    openIssues: issues!.map((row) => ({ id: row.id as string, lost: JSON.parse(row.lost as string) as string[], resource: row.resource as string | null, createdAt: row.created_at as number })),
  };
}
