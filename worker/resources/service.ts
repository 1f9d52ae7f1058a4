/**
 * Resources (protected applications) and who may use them: assignments of users, either as plain "user" (any of the
 * user's own tokens verifies) or as "token with user" (exactly that token).
 */
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { isUniqueViolation } from '../lib/d1-errors';
import { likePattern, type Page } from '../lib/paging';

export interface ResourceView {
  id: string;
  name: string;
  description: string;
  userCount: number;
  selfService: { enabled: boolean; alias: string | null; actions: string[]; tokenTypes: string[] };
  createdAt: number;
}

interface ResourceRow {
  id: string;
  name: string;
  description: string;
  self_service_enabled: number;
  self_service_alias: string | null;
  self_service_actions: string;
  self_service_token_types: string;
  created_at: number;
  user_count: number;
}

const SELECT_RESOURCE = `SELECT r.*, (SELECT count(*) FROM assignments a WHERE a.resource_id = r.id) AS user_count FROM resources r`;

function toView(row: ResourceRow): ResourceView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    userCount: row.user_count,
    selfService: {
      enabled: row.self_service_enabled === 1,
      alias: row.self_service_alias,
      actions: JSON.parse(row.self_service_actions) as string[],
      tokenTypes: JSON.parse(row.self_service_token_types) as string[],
    },
    createdAt: row.created_at,
  };
}

export async function listResources(db: D1Database, query: { search?: string; page: number; pageSize: number }): Promise<Page<ResourceView>> {
  const where = query.search ? `WHERE r.name LIKE ? ESCAPE '\\' OR r.description LIKE ? ESCAPE '\\'` : '';
  const params = query.search ? [likePattern(query.search), likePattern(query.search)] : [];
  const [rows, total] = await db.batch<ResourceRow | { total: number }>([
    db.prepare(`${SELECT_RESOURCE} ${where} ORDER BY lower(r.name) LIMIT ? OFFSET ?`).bind(...params, query.pageSize, (query.page - 1) * query.pageSize),
    db.prepare(`SELECT count(*) AS total FROM resources r ${where}`).bind(...params),
  ]);
  return {
    items: (rows!.results as ResourceRow[]).map(toView),
    total: (total!.results[0] as { total: number }).total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function getResource(db: D1Database, id: string): Promise<ResourceView> {
  const row = await db.prepare(`${SELECT_RESOURCE} WHERE r.id = ?`).bind(id).first<ResourceRow>();
  if (!row) throw new AppError('RESOURCE_NOT_FOUND');
  return toView(row);
}

/** Integrations name resources by name or id. */
export async function findResourceIdByNameOrId(db: D1Database, nameOrId: string): Promise<string | null> {
  const row = await db
    .prepare('SELECT id FROM resources WHERE id = ?1 OR lower(name) = lower(?1) LIMIT 1')
    .bind(nameOrId)
    .first<{ id: string }>();
  return row?.id ?? null;
}

export async function createResource(db: D1Database, input: { name: string; description?: string }, nowMs: number, audit: Audit): Promise<ResourceView> {
  const id = crypto.randomUUID();
  try {
    await db.batch([
      db.prepare('INSERT INTO resources (id, name, description, created_at) VALUES (?, ?, ?, ?)').bind(id, input.name, input.description ?? '', nowMs),
      audit({ action: 'create', objectType: 'resource', objectId: id, objectName: input.name, after: { name: input.name, description: input.description ?? '' } }),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
    throw error;
  }
  return getResource(db, id);
}

export async function updateResource(db: D1Database, id: string, input: { name?: string; description?: string }, audit: Audit): Promise<ResourceView> {
  const before = await getResource(db, id);
  const after = { name: input.name ?? before.name, description: input.description ?? before.description };
  try {
    const [result] = await db.batch([
      db.prepare('UPDATE resources SET name = coalesce(?, name), description = coalesce(?, description) WHERE id = ?').bind(input.name ?? null, input.description ?? null, id),
      audit({ action: 'update', objectType: 'resource', objectId: id, objectName: after.name, before: { name: before.name, description: before.description }, after }),
    ]);
    if (result!.meta.changes === 0) throw new AppError('RESOURCE_NOT_FOUND');
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('NAME_TAKEN');
    throw error;
  }
  return getResource(db, id);
}

export async function deleteResource(db: D1Database, id: string, audit: Audit): Promise<void> {
  const before = await getResource(db, id);
  const [result] = await db.batch([
    db.prepare('DELETE FROM resources WHERE id = ?').bind(id),
    audit({ action: 'delete', objectType: 'resource', objectId: id, objectName: before.name, before: { name: before.name, description: before.description, selfService: before.selfService, userCount: before.userCount } }),
  ]);
  if (result!.meta.changes === 0) throw new AppError('RESOURCE_NOT_FOUND');
}

// ---- assignments

export interface AssignmentView {
  id: string;
  kind: 'user' | 'token_with_user';
  user: { id: string; login: string; firstName: string; lastName: string };
  token: { id: string; serial: string; type: string; enabled: boolean } | null;
  createdAt: number;
}

interface AssignmentRow {
  id: string;
  kind: 'user' | 'token_with_user';
  user_id: string;
  login: string;
  first_name: string;
  last_name: string;
  token_id: string | null;
  serial: string | null;
  type: string | null;
  enabled: number | null;
  created_at: number;
}

export async function listAssignments(
  db: D1Database,
  resourceId: string,
  query: { kind?: 'user' | 'token_with_user'; search?: string; page: number; pageSize: number },
): Promise<Page<AssignmentView>> {
  await getResource(db, resourceId);
  const conditions = ['a.resource_id = ?'];
  const params: unknown[] = [resourceId];
  if (query.kind) {
    conditions.push('a.kind = ?');
    params.push(query.kind);
  }
  if (query.search) {
    conditions.push(`(u.login LIKE ? ESCAPE '\\' OR t.serial LIKE ? ESCAPE '\\')`);
    params.push(likePattern(query.search), likePattern(query.search));
  }
  const from = `FROM assignments a JOIN users u ON u.id = a.user_id LEFT JOIN tokens t ON t.id = a.token_id WHERE ${conditions.join(' AND ')}`;
  const [rows, total] = await db.batch<AssignmentRow | { total: number }>([
    db
      .prepare(
        `SELECT a.id, a.kind, a.user_id, u.login, u.first_name, u.last_name, a.token_id, t.serial, t.type, t.enabled, a.created_at
         ${from} ORDER BY lower(u.login) LIMIT ? OFFSET ?`,
      )
      .bind(...params, query.pageSize, (query.page - 1) * query.pageSize),
    db.prepare(`SELECT count(*) AS total ${from}`).bind(...params),
  ]);
  return {
    items: (rows!.results as AssignmentRow[]).map((row) => ({
      id: row.id,
      kind: row.kind,
      user: { id: row.user_id, login: row.login, firstName: row.first_name, lastName: row.last_name },
      token: row.token_id ? { id: row.token_id, serial: row.serial!, type: row.type!, enabled: row.enabled === 1 } : null,
      createdAt: row.created_at,
    })),
    total: (total!.results[0] as { total: number }).total,
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
  const user = await db.prepare('SELECT id, login FROM users WHERE id = ?').bind(input.userId).first<{ id: string; login: string }>();
  if (!user) throw new AppError('USER_NOT_FOUND');
  let serial: string | null = null;
  if (input.tokenId) {
    const token = await db.prepare('SELECT owner_user_id, serial FROM tokens WHERE id = ?').bind(input.tokenId).first<{ owner_user_id: string | null; serial: string }>();
    if (!token) throw new AppError('TOKEN_NOT_FOUND');
    if (token.owner_user_id !== null && token.owner_user_id !== input.userId) {
      throw new AppError('CONFLICT', 'This token belongs to another user.');
    }
    serial = token.serial;
  }
  const before = await assignmentOf(db, resourceId, input.userId);
  await db.batch([
    ...(input.tokenId ? [db.prepare('UPDATE tokens SET owner_user_id = ? WHERE id = ? AND owner_user_id IS NULL').bind(input.userId, input.tokenId)] : []),
    db
      .prepare(
        `INSERT INTO assignments (id, resource_id, user_id, kind, token_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (resource_id, user_id) DO UPDATE SET kind = excluded.kind, token_id = excluded.token_id`,
      )
      .bind(crypto.randomUUID(), resourceId, input.userId, input.tokenId ? 'token_with_user' : 'user', input.tokenId ?? null, nowMs),
    audit({
      action: before ? 'update' : 'create',
      objectType: 'assignment',
      objectId: resourceId,
      objectName: `${resource.name} / ${user.login}`,
      before,
      after: { resource: resource.name, user: user.login, kind: input.tokenId ? 'token_with_user' : 'user', token: serial },
    }),
  ]);
}

export async function unassignUser(db: D1Database, resourceId: string, userId: string, audit: Audit): Promise<void> {
  const before = await assignmentOf(db, resourceId, userId);
  const [result] = await db.batch([
    db.prepare('DELETE FROM assignments WHERE resource_id = ? AND user_id = ?').bind(resourceId, userId),
    audit({ action: 'delete', objectType: 'assignment', objectId: resourceId, objectName: before ? `${before.resource} / ${before.user}` : null, before }),
  ]);
  if (result!.meta.changes === 0) throw new AppError('NOT_FOUND', 'This user is not assigned to the resource.');
}

/** An assignment as the audit trail shows it, or null when there is none. */
async function assignmentOf(db: D1Database, resourceId: string, userId: string) {
  return db
    .prepare(
      `SELECT r.name AS resource, u.login AS user, a.kind, t.serial AS token FROM assignments a JOIN resources r ON r.id = a.resource_id
       JOIN users u ON u.id = a.user_id LEFT JOIN tokens t ON t.id = a.token_id WHERE a.resource_id = ? AND a.user_id = ?`,
    )
    .bind(resourceId, userId)
    .first<{ resource: string; user: string; kind: string; token: string | null }>();
}

/** Resources a user is assigned to (user detail page). */
export async function listResourcesOfUser(db: D1Database, userId: string) {
  const { results } = await db
    .prepare(
      `SELECT r.id, r.name, a.kind, t.serial FROM assignments a JOIN resources r ON r.id = a.resource_id
       LEFT JOIN tokens t ON t.id = a.token_id WHERE a.user_id = ? ORDER BY lower(r.name)`,
    )
    .bind(userId)
    .all<{ id: string; name: string; kind: string; serial: string | null }>();
  return results;
}
