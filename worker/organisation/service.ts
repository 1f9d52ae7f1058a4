/**
 * Offices (workspaces/teams) and groups: named sets of users. Both behave the same, so one module serves both,
 * keyed by `kind`; offices additionally carry workspace security settings.
 */
import type { Audit } from '../audit/record';
import { AppError, type ErrorCode } from '../errors';
import { isUniqueViolation } from '../lib/d1-errors';
import type { Page } from '../lib/paging';
import { readUserRow } from '../users/repo';
import {
  addMemberStatement,
  changeMembership,
  deleteOrganisationRow,
  insertOrganisationRow,
  listMemberRows,
  listMembershipRowsOfUser,
  listOrganisationRows,
  readOrganisationRow,
  removeMemberStatement,
  updateOrganisationRow,
  type OrganisationKind,
  type OrganisationRow,
} from './repo';

export type { OrganisationKind };

const NOT_FOUND = { office: 'OFFICE_NOT_FOUND', group: 'GROUP_NOT_FOUND' } as const satisfies Record<OrganisationKind, ErrorCode>;

export interface OrganisationView {
  id: string;
  name: string;
  memberCount: number;
  createdAt: number;
  /** Offices only. */
  twoFactorDisabled?: boolean;
}

function toView(kind: OrganisationKind, row: OrganisationRow): OrganisationView {
  const view: OrganisationView = { id: row.id, name: row.name, memberCount: row.memberCount, createdAt: row.createdAt };
  if (kind === 'office') view.twoFactorDisabled = row.twoFactorDisabled === 1;
  return view;
}

export async function listOrganisations(
  db: D1Database,
  kind: OrganisationKind,
  query: { search?: string; page: number; pageSize: number },
): Promise<Page<OrganisationView>> {
  const { rows, total } = await listOrganisationRows(db, kind, query);
  return { items: rows.map((row) => toView(kind, row)), total, page: query.page, pageSize: query.pageSize };
}

export async function getOrganisation(db: D1Database, kind: OrganisationKind, id: string): Promise<OrganisationView> {
  const row = await readOrganisationRow(db, kind, id);
  if (!row) throw new AppError(NOT_FOUND[kind]);
  return toView(kind, row);
}

export async function createOrganisation(
  db: D1Database,
  kind: OrganisationKind,
  input: { name: string; twoFactorDisabled?: boolean },
  nowMs: number,
  audit: Audit,
): Promise<OrganisationView> {
  const id = crypto.randomUUID();
  const after = kind === 'office' ? { name: input.name, twoFactorDisabled: Boolean(input.twoFactorDisabled) } : { name: input.name };
  try {
    await insertOrganisationRow(db, kind, { id, name: input.name, twoFactorDisabled: input.twoFactorDisabled, createdAt: nowMs }, audit({ action: 'create', objectType: kind, objectId: id, objectName: input.name, after }));
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
  const changes = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(kind === 'office' && input.twoFactorDisabled !== undefined ? { twoFactorDisabled: input.twoFactorDisabled } : {}),
  };
  if (Object.keys(changes).length > 0) {
    const before = await getOrganisation(db, kind, id);
    const { name, twoFactorDisabled } = before as { name: string; twoFactorDisabled?: boolean };
    const after = { name: input.name ?? name, ...(kind === 'office' ? { twoFactorDisabled: input.twoFactorDisabled ?? twoFactorDisabled } : {}) };
    try {
      const updated = await updateOrganisationRow(
        db,
        kind,
        id,
        changes,
        audit({ action: 'update', objectType: kind, objectId: id, objectName: after.name, before: { name, ...(kind === 'office' ? { twoFactorDisabled } : {}) }, after }),
      );
      if (!updated) throw new AppError(NOT_FOUND[kind]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
      throw error;
    }
  }
  return getOrganisation(db, kind, id);
}

export async function deleteOrganisation(db: D1Database, kind: OrganisationKind, id: string, audit: Audit): Promise<void> {
  const before = await getOrganisation(db, kind, id);
  const deleted = await deleteOrganisationRow(db, kind, id, audit({ action: 'delete', objectType: kind, objectId: id, objectName: before.name, before: { name: before.name } }));
  if (!deleted) throw new AppError(NOT_FOUND[kind]);
}

export interface MemberView {
  userId: string;
  login: string;
  firstName: string;
  lastName: string;
  addedAt: number;
}

export async function listMembers(db: D1Database, kind: OrganisationKind, id: string): Promise<MemberView[]> {
  await getOrganisation(db, kind, id);
  return listMemberRows(db, kind, id);
}

export async function addMember(db: D1Database, kind: OrganisationKind, id: string, userId: string, nowMs: number, audit: Audit): Promise<void> {
  const organisation = await getOrganisation(db, kind, id);
  const user = await readUserRow(db, userId);
  if (!user) throw new AppError('USER_NOT_FOUND');
  // Adding someone already a member changes nothing, and so records nothing.
  await changeMembership(
    db,
    addMemberStatement(db, kind, id, userId, nowMs),
    audit({ action: 'add_member', objectType: kind, objectId: id, objectName: organisation.name, after: { member: user.login, userId } }),
  );
}

export async function removeMember(db: D1Database, kind: OrganisationKind, id: string, userId: string, audit: Audit): Promise<void> {
  const organisation = await getOrganisation(db, kind, id);
  const user = await readUserRow(db, userId);
  await changeMembership(
    db,
    removeMemberStatement(db, kind, id, userId),
    audit({ action: 'remove_member', objectType: kind, objectId: id, objectName: organisation.name, before: { member: user?.login ?? null, userId } }),
  );
}

/** The offices and groups a user belongs to (user detail page, script designer). */
export async function listMembershipsOfUser(db: D1Database, userId: string) {
  return listMembershipRowsOfUser(db, userId);
}
