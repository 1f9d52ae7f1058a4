/**
 * Every statement on offices (workspaces) and groups and their members. Both behave the same, so each statement
 * is written once over the pair of tables of its `kind`. Row types come from worker/db/schema.ts; a change goes in
 * one D1 batch with its admin audit row, right after the statement whose effect it records.
 */
import { and, asc, count, eq, sql } from 'drizzle-orm';
import { createDb, d1Statement } from '../db/client';
import { groupMembers, groups, officeMembers, offices, users } from '../db/schema';
import { likeSearch } from '../lib/paging';

export type OrganisationKind = 'office' | 'group';

const TABLES = {
  office: { table: offices, members: officeMembers, memberOf: officeMembers.officeId },
  group: { table: groups, members: groupMembers, memberOf: groupMembers.groupId },
} as const;

/** An office or group with its member count; `twoFactorDisabled` is an office's setting (0/1; null for a group). */
function organisationSelection(kind: OrganisationKind) {
  const { table, members, memberOf } = TABLES[kind];
  return {
    id: table.id,
    name: table.name,
    createdAt: table.createdAt,
    memberCount: sql<number>`(SELECT count(*) FROM ${members} WHERE ${memberOf} = ${table.id})`,
    twoFactorDisabled: kind === 'office' ? sql<number | null>`${offices.twoFactorDisabled}` : sql<number | null>`NULL`,
  };
}
export type OrganisationRow = NonNullable<Awaited<ReturnType<typeof readOrganisationRow>>>;

export async function listOrganisationRows(
  d1: D1Database,
  kind: OrganisationKind,
  query: { search?: string; page: number; pageSize: number },
) {
  const db = createDb(d1);
  const { table } = TABLES[kind];
  const where = query.search ? likeSearch(table.name, query.search) : undefined;
  const [rows, [totals]] = await db.batch([
    db
      .select(organisationSelection(kind))
      .from(table)
      .where(where)
      .orderBy(asc(sql`lower(${table.name})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(table).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}

export async function readOrganisationRow(d1: D1Database, kind: OrganisationKind, id: string) {
  const { table } = TABLES[kind];
  return createDb(d1).select(organisationSelection(kind)).from(table).where(eq(table.id, id)).get();
}

export async function insertOrganisationRow(
  d1: D1Database,
  kind: OrganisationKind,
  row: { id: string; name: string; twoFactorDisabled?: boolean; createdAt: number },
  audit: D1PreparedStatement,
): Promise<void> {
  const db = createDb(d1);
  const insert =
    kind === 'office'
      ? db.insert(offices).values({ id: row.id, name: row.name, twoFactorDisabled: Boolean(row.twoFactorDisabled), createdAt: row.createdAt })
      : db.insert(groups).values({ id: row.id, name: row.name, createdAt: row.createdAt });
  await d1.batch([d1Statement(d1, insert), audit]);
}

/** Renames (and for an office sets its 2FA switch). False when there is no such office or group. */
export async function updateOrganisationRow(
  d1: D1Database,
  kind: OrganisationKind,
  id: string,
  changes: { name?: string; twoFactorDisabled?: boolean },
  audit: D1PreparedStatement,
): Promise<boolean> {
  const db = createDb(d1);
  const update =
    kind === 'office'
      ? db.update(offices).set(changes).where(eq(offices.id, id))
      : db.update(groups).set({ name: changes.name }).where(eq(groups.id, id));
  const [updated] = await d1.batch([d1Statement(d1, update), audit]);
  return updated!.meta.changes > 0;
}

/** Deletes the office or group; memberships cascade. False when there is none. */
export async function deleteOrganisationRow(d1: D1Database, kind: OrganisationKind, id: string, audit: D1PreparedStatement): Promise<boolean> {
  const { table } = TABLES[kind];
  const [deleted] = await d1.batch([d1Statement(d1, createDb(d1).delete(table).where(eq(table.id, id))), audit]);
  return deleted!.meta.changes > 0;
}

// ---------------------------------------------------------------- members

export async function listMemberRows(d1: D1Database, kind: OrganisationKind, id: string) {
  const { members, memberOf } = TABLES[kind];
  return createDb(d1)
    .select({ userId: users.id, login: users.login, firstName: users.firstName, lastName: users.lastName, addedAt: members.createdAt })
    .from(members)
    .innerJoin(users, eq(users.id, members.userId))
    .where(eq(memberOf, id))
    .orderBy(asc(sql`lower(${users.login})`));
}

/** Adds a membership; one that exists already stays as it is (and so changes no row). For the caller's batch. */
export function addMemberStatement(d1: D1Database, kind: OrganisationKind, id: string, userId: string, nowMs: number): D1PreparedStatement {
  const db = createDb(d1);
  const insert =
    kind === 'office'
      ? db.insert(officeMembers).values({ officeId: id, userId, createdAt: nowMs }).onConflictDoNothing()
      : db.insert(groupMembers).values({ groupId: id, userId, createdAt: nowMs }).onConflictDoNothing();
  return d1Statement(d1, insert);
}

export function removeMemberStatement(d1: D1Database, kind: OrganisationKind, id: string, userId: string): D1PreparedStatement {
  const { members, memberOf } = TABLES[kind];
  return d1Statement(d1, createDb(d1).delete(members).where(and(eq(memberOf, id), eq(members.userId, userId))));
}

/** A membership change with its audit row (written only if the membership changed). */
export async function changeMembership(d1: D1Database, change: D1PreparedStatement, audit: D1PreparedStatement): Promise<void> {
  await d1.batch([change, audit]);
}

/** The offices and groups a user belongs to, each by name. */
export async function listMembershipRowsOfUser(d1: D1Database, userId: string) {
  const db = createDb(d1);
  const [officeRows, groupRows] = await db.batch([
    db
      .select({ id: offices.id, name: offices.name })
      .from(officeMembers)
      .innerJoin(offices, eq(offices.id, officeMembers.officeId))
      .where(eq(officeMembers.userId, userId))
      .orderBy(asc(sql`lower(${offices.name})`)),
    db
      .select({ id: groups.id, name: groups.name })
      .from(groupMembers)
      .innerJoin(groups, eq(groups.id, groupMembers.groupId))
      .where(eq(groupMembers.userId, userId))
      .orderBy(asc(sql`lower(${groups.name})`)),
  ]);
  return { offices: officeRows, groups: groupRows };
}
