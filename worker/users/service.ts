/** Users: the people who sign in. Logins are unique case-insensitively. */
import { and, asc, count, eq, like, or, sql } from 'drizzle-orm';
import type { Audit } from '../audit/record';
import { clearLoginFailuresStatement } from '../auth/login-lock';
import { createDb, schema } from '../db/client';
import { AppError } from '../errors';
import { hashPassword } from '../lib/crypto';
import { assertIdentityFree, identityKeyColumns } from '../lib/identity';
import { isUniqueViolation } from '../lib/d1-errors';
import { likePattern, type Page } from '../lib/paging';
import { normalizePhoneNumber } from '../lib/phone';
import type { CreateUserInput, UpdateUserInput } from './schema';

const { users } = schema;

/** What the API shows of a user: never the password hash. */
export interface UserView {
  id: string;
  login: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  language: 'de' | 'en';
  enabled: boolean;
  isAdmin: boolean;
  hasPassword: boolean;
  smsPhone: string | null;
  smsPhoneVerified: boolean;
  smsTwoFactorActive: boolean;
  createdAt: number;
  updatedAt: number;
}

type UserRow = typeof users.$inferSelect;

export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    login: row.login,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    phone: row.phone,
    language: row.language,
    enabled: row.enabled,
    isAdmin: row.isAdmin,
    hasPassword: row.passwordHash !== null,
    smsPhone: row.smsPhone,
    smsPhoneVerified: row.smsPhoneVerified,
    smsTwoFactorActive: row.smsTwoFactorActive,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function listUsers(d1: D1Database, query: { search?: string; page: number; pageSize: number }): Promise<Page<UserView>> {
  const db = createDb(d1);
  const pattern = query.search ? likePattern(query.search) : undefined;
  const where = pattern
    ? or(
        like(users.login, pattern),
        like(users.firstName, pattern),
        like(users.lastName, pattern),
        like(users.email, pattern),
      )
    : undefined;
  const [rows, [totals]] = await Promise.all([
    db
      .select()
      .from(users)
      .where(where)
      .orderBy(asc(sql`lower(${users.login})`))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(users).where(where),
  ]);
  return { items: rows.map(toUserView), total: totals?.total ?? 0, page: query.page, pageSize: query.pageSize };
}

export async function findUserRowById(d1: D1Database, id: string): Promise<UserRow | undefined> {
  return createDb(d1).select().from(users).where(eq(users.id, id)).get();
}

export async function findUserRowByLogin(d1: D1Database, login: string): Promise<UserRow | undefined> {
  return createDb(d1)
    .select()
    .from(users)
    .where(sql`lower(${users.login}) = lower(${login})`)
    .get();
}

export async function getUser(d1: D1Database, id: string): Promise<UserView> {
  const row = await findUserRowById(d1, id);
  if (!row) throw new AppError('USER_NOT_FOUND');
  return toUserView(row);
}

export async function createUser(d1: D1Database, input: CreateUserInput, nowMs: number, audit: Audit): Promise<UserView> {
  const row: typeof users.$inferInsert = {
    id: crypto.randomUUID(),
    login: input.login,
    firstName: input.firstName,
    lastName: input.lastName,
    email: input.email ?? null,
    phone: input.phone ? normalizePhoneNumber(input.phone) : null,
    language: input.language,
    passwordHash: input.password ? await hashPassword(input.password) : null,
    isAdmin: input.isAdmin,
    enabled: input.enabled,
    createdAt: nowMs,
    updatedAt: nowMs,
  };
  // Logins and emails are one identity under NFKC + case folding: "ｂｏｂ" or "BOB@corp.example" would be a second
  // account that reads like the first (worker/lib/identity.ts).
  await assertIdentityFree(d1, { login: row.login, email: row.email });
  const keys = identityKeyColumns({ login: row.login, email: row.email });
  row.loginKey = keys.login_key;
  row.emailKey = keys.email_key;
  const insert = createDb(d1).insert(users).values(row).toSQL();
  try {
    await d1.batch([
      d1.prepare(insert.sql).bind(...insert.params),
      audit({ action: 'create', objectType: 'user', objectId: row.id!, objectName: row.login, after: auditedUser(row as UserRow) }),
    ]);
    return getUser(d1, row.id!);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('LOGIN_TAKEN');
    throw error;
  }
}

export async function updateUser(d1: D1Database, id: string, input: UpdateUserInput, nowMs: number, audit: Audit): Promise<UserView> {
  const before = await findUserRowById(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  const changes: Partial<typeof users.$inferInsert> = { updatedAt: nowMs };
  if (input.login !== undefined) changes.login = input.login;
  if (input.firstName !== undefined) changes.firstName = input.firstName;
  if (input.lastName !== undefined) changes.lastName = input.lastName;
  if (input.email !== undefined) changes.email = input.email;
  if (input.phone !== undefined) changes.phone = input.phone ? normalizePhoneNumber(input.phone) : null;
  if (input.language !== undefined) changes.language = input.language;
  if (input.isAdmin !== undefined) changes.isAdmin = input.isAdmin;
  if (input.enabled !== undefined) changes.enabled = input.enabled;
  if (input.login !== undefined || input.email !== undefined) {
    await assertIdentityFree(d1, { login: input.login, email: input.email, exceptUserId: id });
    const keys = identityKeyColumns({ login: input.login, email: input.email });
    if (keys.login_key !== undefined) changes.loginKey = keys.login_key;
    if (keys.email_key !== undefined) changes.emailKey = keys.email_key;
  }
  const removesAdmin = input.isAdmin === false || input.enabled === false;
  const update = createDb(d1)
    .update(users)
    .set(changes)
    .where(removesAdmin ? and(eq(users.id, id), sql.raw(NOT_THE_LAST_ADMIN)) : eq(users.id, id))
    .toSQL();
  const after = { ...before, ...changes } as UserRow;
  try {
    const [updated] = await d1.batch([
      d1.prepare(update.sql).bind(...update.params),
      audit({ action: 'update', objectType: 'user', objectId: id, objectName: after.login, before: auditedUser(before), after: auditedUser(after) }),
      // A disabled user's sessions end with the change, not a request later.
      d1.prepare('DELETE FROM sessions WHERE user_id = ? AND EXISTS (SELECT 1 FROM users WHERE id = ? AND enabled = 0)').bind(id, id),
    ]);
    if (updated!.meta.changes === 0) throw await notFoundOrLastAdmin(d1, id);
    return getUser(d1, id);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('LOGIN_TAKEN');
    throw error;
  }
}

/** Sets or removes the password; every session of the user ends (a password change is a security event). */
export async function setUserPassword(d1: D1Database, id: string, password: string | null, nowMs: number, audit: Audit): Promise<void> {
  const before = await findUserRowById(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  const passwordHash = password === null ? null : await hashPassword(password);
  const [update] = await d1.batch([
    d1.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').bind(passwordHash, nowMs, id),
    audit({
      action: password === null ? 'remove_password' : 'set_password',
      objectType: 'user',
      objectId: id,
      objectName: before.login,
      before: { hasPassword: before.passwordHash !== null },
      after: { hasPassword: passwordHash !== null },
    }),
    d1.prepare('DELETE FROM sessions WHERE user_id = ? AND EXISTS (SELECT 1 FROM users WHERE id = ?)').bind(id, id),
  ]);
  if (update!.meta.changes === 0) throw new AppError('USER_NOT_FOUND');
}

export async function deleteUser(d1: D1Database, id: string, audit: Audit): Promise<void> {
  const before = await findUserRowById(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  // Tokens the user owned stay in the inventory (owner set null by FK); assignments and memberships cascade.
  const [result] = await d1.batch([
    d1.prepare(`DELETE FROM users WHERE id = ? AND ${NOT_THE_LAST_ADMIN}`).bind(id),
    audit({ action: 'delete', objectType: 'user', objectId: id, objectName: before.login, before: auditedUser(before) }),
  ]);
  if (result!.meta.changes === 0) throw await notFoundOrLastAdmin(d1, id);
}

/**
 * SQL condition on the `users` row being changed: it is not the last enabled administrator. Demoting, disabling
 * and deleting are conditioned on it in the same statement, never counted first: SQLite runs one statement at a
 * time, so of two concurrent demotions of the last two admins the second finds no other admin and changes nothing.
 */
export const NOT_THE_LAST_ADMIN = `(NOT (users.is_admin = 1 AND users.enabled = 1)
  OR EXISTS (SELECT 1 FROM users AS other WHERE other.id != users.id AND other.is_admin = 1 AND other.enabled = 1))`;

/** Why a guarded change touched no row. */
async function notFoundOrLastAdmin(d1: D1Database, id: string): Promise<AppError> {
  const exists = await d1.prepare('SELECT 1 FROM users WHERE id = ?').bind(id).first();
  return new AppError(exists ? 'LAST_ADMIN' : 'USER_NOT_FOUND');
}


/** Lifts the sign-in lockout after repeated password failures (the lock is kept per login name). */
export async function unlockUser(d1: D1Database, id: string, audit: Audit): Promise<void> {
  const user = await findUserRowById(d1, id);
  if (!user) throw new AppError('USER_NOT_FOUND');
  await d1.batch([clearLoginFailuresStatement(d1, user.login), audit({ action: 'unlock', objectType: 'user', objectId: id, objectName: user.login })]);
}

/** What the audit trail keeps of a user: the view (never the password hash), without the bookkeeping times. */
function auditedUser(row: UserRow): Omit<UserView, 'createdAt' | 'updatedAt' | 'id'> {
  const { createdAt: _created, updatedAt: _updated, id: _id, ...fields } = toUserView(row);
  return fields;
}
