/**
 * The admin's one page per user: the user, their tokens, their resource assignments, workspaces and groups, the
 * latest activities and the open access recovery request, read side by side.
 */
import type { UserActivityType } from '../db/schema';
import { listMembershipsOfUser } from '../organisation/service';
import { listAssignmentsOfUser } from '../resources/repo';
import { listTokens, type TokenView } from '../tokens/service';
import { listOpenIssueRows, listRecentActivityRows } from './repo';
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
  const [tokens, memberships, assignments, activities, issues] = await Promise.all([
    listTokens(db, { ownerUserId: id, page: 1, pageSize: TOKENS_SHOWN_MAX }, nowMs),
    listMembershipsOfUser(db, id),
    listAssignmentsOfUser(db, id),
    listRecentActivityRows(db, id, nowMs, USER_PAGE_RECENT_ACTIVITIES),
    listOpenIssueRows(db, id),
  ]);
  return {
    user,
    tokens: tokens.items,
    assignments: assignments.map((row) => ({
      resource: { id: row.id, name: row.name },
      kind: row.kind,
      token: row.tokenId ? { id: row.tokenId, serial: row.serial! } : null,
    })),
    offices: memberships.offices,
    groups: memberships.groups,
    recentActivities: activities,
    openIssues: issues.map((row) => ({ id: row.id, lost: JSON.parse(row.lost) as string[], resource: row.resource, createdAt: row.createdAt })),
  };
}
