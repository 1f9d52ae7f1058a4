/**
 * Resources (protected applications) and who may use them: assignments of users, either as plain "user" (any of the
 * user's own tokens verifies) or as "token with user" (exactly that token).
 */
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { isUniqueViolation } from '../lib/d1-errors';
import type { Page } from '../lib/paging';
import { readTokenViewRow } from '../tokens/repo';
import { readUserRow } from '../users/repo';
import {
  deleteAssignment,
  deleteResourceRow,
  insertResourceRow,
  listAssignmentRows,
  listResourceRows,
  readAssignmentNames,
  readResourceRow,
  updateResourceRow,
  upsertAssignment,
  type AssignmentKind,
  type ResourceRow,
} from './repo';

export interface ResourceView {
  id: string;
  name: string;
  description: string;
  userCount: number;
  selfService: { enabled: boolean; alias: string | null; actions: string[]; tokenTypes: string[] };
  createdAt: number;
}

function toView(row: ResourceRow): ResourceView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    userCount: row.userCount,
    selfService: {
      enabled: row.selfServiceEnabled,
      alias: row.selfServiceAlias,
      actions: JSON.parse(row.selfServiceActions) as string[],
      tokenTypes: JSON.parse(row.selfServiceTokenTypes) as string[],
    },
    createdAt: row.createdAt,
  };
}

export async function listResources(db: D1Database, query: { search?: string; page: number; pageSize: number }): Promise<Page<ResourceView>> {
  const { rows, total } = await listResourceRows(db, query);
  return { items: rows.map(toView), total, page: query.page, pageSize: query.pageSize };
}
export async function getResource(db: D1Database, id: string): Promise<ResourceView> {
  const row = await readResourceRow(db, id);
  if (!row) throw new AppError('RESOURCE_NOT_FOUND');
  return toView(row);
}

export async function createResource(db: D1Database, input: { name: string; description?: string }, nowMs: number, audit: Audit): Promise<ResourceView> {
  const id = crypto.randomUUID();
  try {
    await insertResourceRow(
      db,
      { id, name: input.name, description: input.description ?? '', createdAt: nowMs },
      audit({ action: 'create', objectType: 'resource', objectId: id, objectName: input.name, after: { name: input.name, description: input.description ?? '' } }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
    throw error;
  }
  return getResource(db, id);
}

export async function updateResource(db: D1Database, id: string, input: { name?: string; description?: string }, audit: Audit): Promise<ResourceView> {
  const before = await getResource(db, id);
  const after = { name: input.name ?? before.name, description: input.description ?? before.description };
  // Only the fields this request changes are written, so two admins editing different fields at once both keep theirs.
  const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  try {
    const updated = await updateResourceRow(
      db,
      id,
      Object.keys(changes).length > 0 ? changes : after,
      audit({ action: 'update', objectType: 'resource', objectId: id, objectName: after.name, before: { name: before.name, description: before.description }, after }),
    );
    if (!updated) throw new AppError('RESOURCE_NOT_FOUND');
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
    throw error;
  }
  return getResource(db, id);
}

export async function deleteResource(db: D1Database, id: string, audit: Audit): Promise<void> {
  const before = await getResource(db, id);
  const deleted = await deleteResourceRow(
    db,
    id,
    audit({ action: 'delete', objectType: 'resource', objectId: id, objectName: before.name, before: { name: before.name, description: before.description, selfService: before.selfService, userCount: before.userCount } }),
  );
  if (!deleted) throw new AppError('RESOURCE_NOT_FOUND');
}

// ---- assignments

export interface AssignmentView {
  id: string;
  kind: 'user' | 'token_with_user';
  user: { id: string; login: string; firstName: string; lastName: string };
  token: { id: string; serial: string; type: string; enabled: boolean } | null;
  createdAt: number;
}

export async function listAssignments(
  db: D1Database,
  resourceId: string,
  query: { kind?: AssignmentKind; search?: string; page: number; pageSize: number },
): Promise<Page<AssignmentView>> {
  await getResource(db, resourceId);
  const { rows, total } = await listAssignmentRows(db, resourceId, query);
  return {
    items: rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      user: { id: row.userId, login: row.login, firstName: row.firstName, lastName: row.lastName },
      token: row.tokenId ? { id: row.tokenId, serial: row.serial!, type: row.type!, enabled: row.enabled === true } : null,
      createdAt: row.createdAt,
    })),
    total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

/**
 * Assigns a user (and optionally their token) to a resource, replacing an earlier assignment of the same user.
 * A token must belong to the user: a token of somebody else assigned "with" this user would let them sign in as
 * the other (or the reverse).
 */
export async function assignUser(
  db: D1Database,
  resourceId: string,
  input: { userId: string; tokenId?: string | null },
  nowMs: number,
  audit: Audit,
): Promise<void> {
  const resource = await getResource(db, resourceId);
  const user = await readUserRow(db, input.userId);
  if (!user) throw new AppError('USER_NOT_FOUND');
  let serial: string | null = null;
  if (input.tokenId) {
    const token = await readTokenViewRow(db, input.tokenId);
    if (!token) throw new AppError('TOKEN_NOT_FOUND');
    if (token.ownerUserId !== null && token.ownerUserId !== input.userId) {
      throw new AppError('CONFLICT', 'This token belongs to another user.');
    }
    serial = token.serial;
  }
  const before = await assignmentOf(db, resourceId, input.userId);
  await upsertAssignment(
    db,
    { resourceId, userId: input.userId, tokenId: input.tokenId ?? null, nowMs },
    audit({
      action: before ? 'update' : 'create',
      objectType: 'assignment',
      objectId: resourceId,
      objectName: `${resource.name} / ${user.login}`,
      before,
      after: { resource: resource.name, user: user.login, kind: input.tokenId ? 'token_with_user' : 'user', token: serial },
    }),
  );
}

export async function unassignUser(db: D1Database, resourceId: string, userId: string, audit: Audit): Promise<void> {
  const before = await assignmentOf(db, resourceId, userId);
  const deleted = await deleteAssignment(
    db,
    resourceId,
    userId,
    audit({ action: 'delete', objectType: 'assignment', objectId: resourceId, objectName: before ? `${before.resource} / ${before.user}` : null, before }),
  );
  if (!deleted) throw new AppError('NOT_FOUND', 'This user is not assigned to the resource.');
}

/** An assignment as the audit trail shows it, or null when there is none. */
async function assignmentOf(db: D1Database, resourceId: string, userId: string) {
  return (await readAssignmentNames(db, resourceId, userId)) ?? null;
}
