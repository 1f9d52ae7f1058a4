/**
 * Offices (workspaces/teams) and groups: named sets of users. Both behave the same, so one module serves both,
 * keyed by `kind`; offices additionally carry workspace security settings.
 */
import type { Audit } from '../audit/record';
import { AppError, type ErrorCode } from '../errors';
import { isUniqueViolation } from '../lib/d1-errors';
import { likePattern, type Page } from '../lib/paging';

export type OrganisationKind = 'office' | 'group';

const TABLES = {
  office: { table: 'offices', members: 'office_members', key: 'office_id', notFound: 'OFFICE_NOT_FOUND' },
  group: { table: 'groups', members: 'group_members', key: 'group_id', notFound: 'GROUP_NOT_FOUND' },
} as const satisfies Record<OrganisationKind, { table: string; members: string; key: string; notFound: ErrorCode }>;

export interface OrganisationView {
  id: string;
  name: string;
  memberCount: number;
  createdAt: number;
  /** Offices only. */
  twoFactorDisabled?: boolean;
}

interface Row {
  id: string;
  name: string;
  created_at: number;
  member_count: number;
  two_factor_disabled?: number;
}

function toView(kind: OrganisationKind, row: Row): OrganisationView {
  const view: OrganisationView = { id: row.id, name: row.name, memberCount: row.member_count, createdAt: row.created_at };
  if (kind === 'office') view.twoFactorDisabled = row.two_factor_disabled === 1;
  return view;
}

export async function listOrganisations(
  db: D1Database,
  kind: OrganisationKind,
  query: { search?: string; page: number; pageSize: number },
): Promise<Page<OrganisationView>> {
  const t = TABLES[kind];
  const where = query.search ? `WHERE o.name LIKE ? ESCAPE '\\'` : '';
  const params = query.search ? [likePattern(query.search)] : [];
  const [rows, total] = await db.batch<Row | { total: number }>([
    db
      .prepare(
        `SELECT o.*, (SELECT count(*) FROM ${t.members} m WHERE m.${t.key} = o.id) AS member_count
         FROM ${t.table} o ${where} ORDER BY lower(o.name) LIMIT ? OFFSET ?`,
      )
      .bind(...params, query.pageSize, (query.page - 1) * query.pageSize),
    db.prepare(`SELECT count(*) AS total FROM ${t.table} o ${where}`).bind(...params),
  ]);
  return {
    items: (rows!.results as Row[]).map((row) => toView(kind, row)),
    total: (total!.results[0] as { total: number }).total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function getOrganisation(db: D1Database, kind: OrganisationKind, id: string): Promise<OrganisationView> {
  const t = TABLES[kind];
  const row = await db
    .prepare(`SELECT o.*, (SELECT count(*) FROM ${t.members} m WHERE m.${t.key} = o.id) AS member_count FROM ${t.table} o WHERE o.id = ?`)
    .bind(id)
    .first<Row>();
  if (!row) throw new AppError(t.notFound);
  return toView(kind, row);
}

export async function createOrganisation(
  db: D1Database,
  kind: OrganisationKind,
  input: { name: string; twoFactorDisabled?: boolean },
  nowMs: number,
  audit: Audit,
): Promise<OrganisationView> {
  const t = TABLES[kind];
  const id = crypto.randomUUID();
  const insert =
    kind === 'office'
      ? db.prepare('INSERT INTO offices (id, name, two_factor_disabled, created_at) VALUES (?, ?, ?, ?)').bind(id, input.name, input.twoFactorDisabled ? 1 : 0, nowMs)
      : db.prepare(`INSERT INTO ${t.table} (id, name, created_at) VALUES (?, ?, ?)`).bind(id, input.name, nowMs);
  const after = kind === 'office' ? { name: input.name, twoFactorDisabled: Boolean(input.twoFactorDisabled) } : { name: input.name };
  try {
    await db.batch([insert, audit({ action: 'create', objectType: kind, objectId: id, objectName: input.name, after })]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
    throw error;
  }
  return getOrganisation(db, kind, id);
}

export async function updateOrganisation(
  db: D1Database,
  kind: OrganisationKind,
  id: string,
  input: { name?: string; twoFactorDisabled?: boolean },
  audit: Audit,
): Promise<OrganisationView> {
  const t = TABLES[kind];
  const sets: string[] = [];
  const params: unknown[] = [];
  if (input.name !== undefined) {
    sets.push('name = ?');
    params.push(input.name);
  }
  if (kind === 'office' && input.twoFactorDisabled !== undefined) {
    sets.push('two_factor_disabled = ?');
    params.push(input.twoFactorDisabled ? 1 : 0);
  }
  if (sets.length > 0) {
    const before = await getOrganisation(db, kind, id);
    const { name, twoFactorDisabled } = before as { name: string; twoFactorDisabled?: boolean };
    const after = { name: input.name ?? name, ...(kind === 'office' ? { twoFactorDisabled: input.twoFactorDisabled ?? twoFactorDisabled } : {}) };
    try {
      const [result] = await db.batch([
        db.prepare(`UPDATE ${t.table} SET ${sets.join(', ')} WHERE id = ?`).bind(...params, id),
        audit({ action: 'update', objectType: kind, objectId: id, objectName: after.name, before: { name, ...(kind === 'office' ? { twoFactorDisabled } : {}) }, after }),
      ]);
      if (result!.meta.changes === 0) throw new AppError(t.notFound);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
      throw error;
    }
  }
  return getOrganisation(db, kind, id);
}

export async function deleteOrganisation(db: D1Database, kind: OrganisationKind, id: string, audit: Audit): Promise<void> {
  const t = TABLES[kind];
  const before = await getOrganisation(db, kind, id);
  const [result] = await db.batch([
    db.prepare(`DELETE FROM ${t.table} WHERE id = ?`).bind(id),
    audit({ action: 'delete', objectType: kind, objectId: id, objectName: before.name, before: { name: before.name } }),
  ]);
  if (result!.meta.changes === 0) throw new AppError(t.notFound);
}

export interface MemberView {
  userId: string;
  login: string;
  firstName: string;
  lastName: string;
  addedAt: number;
}

export async function listMembers(db: D1Database, kind: OrganisationKind, id: string): Promise<MemberView[]> {
  const t = TABLES[kind];
  await getOrganisation(db, kind, id);
  const { results } = await db
    .prepare(
      `SELECT u.id AS user_id, u.login, u.first_name, u.last_name, m.created_at
       FROM ${t.members} m JOIN users u ON u.id = m.user_id WHERE m.${t.key} = ? ORDER BY lower(u.login)`,
    )
    .bind(id)
    .all<{ user_id: string; login: string; first_name: string; last_name: string; created_at: number }>();
  return results.map((r) => ({ userId: r.user_id, login: r.login, firstName: r.first_name, lastName: r.last_name, addedAt: r.created_at }));
}

/** Statement that adds a membership (idempotent), for callers that batch it (the sign-in script host). */
export function addMemberStatement(db: D1Database, kind: OrganisationKind, id: string, userId: string, nowMs: number) {
  const t = TABLES[kind];
  return db
    .prepare(`INSERT INTO ${t.members} (${t.key}, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
    .bind(id, userId, nowMs);
}

export function removeMemberStatement(db: D1Database, kind: OrganisationKind, id: string, userId: string) {
  const t = TABLES[kind];
  return db.prepare(`DELETE FROM ${t.members} WHERE ${t.key} = ? AND user_id = ?`).bind(id, userId);
}

export async function addMember(db: D1Database, kind: OrganisationKind, id: string, userId: string, nowMs: number, audit: Audit): Promise<void> {
  const organisation = await getOrganisation(db, kind, id);
  const user = await db.prepare('SELECT login FROM users WHERE id = ?').bind(userId).first<{ login: string }>();
  if (!user) throw new AppError('USER_NOT_FOUND');
  // Adding someone already a member changes nothing, and so records nothing.
  await db.batch([
    addMemberStatement(db, kind, id, userId, nowMs),
    audit({ action: 'add_member', objectType: kind, objectId: id, objectName: organisation.name, after: { member: user.login, userId } }),
  ]);
}

export async function removeMember(db: D1Database, kind: OrganisationKind, id: string, userId: string, audit: Audit): Promise<void> {
  const organisation = await getOrganisation(db, kind, id);
  const user = await db.prepare('SELECT login FROM users WHERE id = ?').bind(userId).first<{ login: string }>();
  await db.batch([
    removeMemberStatement(db, kind, id, userId),
    audit({ action: 'remove_member', objectType: kind, objectId: id, objectName: organisation.name, before: { member: user?.login ?? null, userId } }),
  ]);
}

/** The offices and groups a user belongs to (user detail page, script designer). */
export async function listMembershipsOfUser(db: D1Database, userId: string) {
  const [offices, groups] = await db.batch<{ id: string; name: string }>([
    db.prepare('SELECT o.id, o.name FROM office_members m JOIN offices o ON o.id = m.office_id WHERE m.user_id = ? ORDER BY lower(o.name)').bind(userId),
    db.prepare('SELECT g.id, g.name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY lower(g.name)').bind(userId),
  ]);
  return { offices: offices!.results, groups: groups!.results };
}
