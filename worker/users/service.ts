/** Users: the people who sign in. Logins are unique case-insensitively. */
import type { Audit } from '../audit/record';
import { clearLoginFailuresStatement } from '../auth/login-lock';
import { AppError } from '../errors';
import { hashPassword } from '../lib/crypto';
import { assertIdentityFree, identityKeyColumns } from '../lib/identity';
import { isUniqueViolation } from '../lib/d1-errors';
import type { Page } from '../lib/paging';
import { normalizePhoneNumber } from '../lib/phone';
import { clearLoginLockRows, deleteUserRow, insertUserRow, listUserRows, readUserRow, setPasswordHashRow, updateUserRow, type NewUserRow, type UserRow } from './repo';
import type { CreateUserInput, UpdateUserInput } from './schema';

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
  const { rows, total } = await listUserRows(d1, query);
  return { items: rows.map(toUserView), total, page: query.page, pageSize: query.pageSize };
}

export async function getUser(d1: D1Database, id: string): Promise<UserView> {
  const row = await readUserRow(d1, id);
  if (!row) throw new AppError('USER_NOT_FOUND');
  return toUserView(row);
}

export async function createUser(d1: D1Database, input: CreateUserInput, nowMs: number, audit: Audit): Promise<UserView> {
  const row: NewUserRow = {
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
  try {
    await insertUserRow(d1, row, audit({ action: 'create', objectType: 'user', objectId: row.id!, objectName: row.login, after: auditedUser(row as UserRow) }));
    return getUser(d1, row.id!);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('LOGIN_TAKEN');
    throw error;
  }
}

export async function updateUser(d1: D1Database, id: string, input: UpdateUserInput, nowMs: number, audit: Audit): Promise<UserView> {
  const before = await readUserRow(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  const changes: Partial<NewUserRow> = { updatedAt: nowMs };
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
  const after = { ...before, ...changes } as UserRow;
  try {
    const updated = await updateUserRow(
      d1,
      id,
      changes,
      removesAdmin,
      audit({ action: 'update', objectType: 'user', objectId: id, objectName: after.login, before: auditedUser(before), after: auditedUser(after) }),
    );
    if (!updated) throw await notFoundOrLastAdmin(d1, id);
    return getUser(d1, id);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('LOGIN_TAKEN');
    throw error;
  }
}

/** Sets or removes the password; every session of the user ends (a password change is a security event). */
export async function setUserPassword(d1: D1Database, id: string, password: string | null, nowMs: number, audit: Audit): Promise<void> {
  const before = await readUserRow(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  const passwordHash = password === null ? null : await hashPassword(password);
  const updated = await setPasswordHashRow(
    d1,
    id,
    passwordHash,
    nowMs,
    audit({
      action: password === null ? 'remove_password' : 'set_password',
      objectType: 'user',
      objectId: id,
      objectName: before.login,
      before: { hasPassword: before.passwordHash !== null },
      after: { hasPassword: passwordHash !== null },
    }),
  );
  if (!updated) throw new AppError('USER_NOT_FOUND');
}

export async function deleteUser(d1: D1Database, id: string, audit: Audit): Promise<void> {
  const before = await readUserRow(d1, id);
  if (!before) throw new AppError('USER_NOT_FOUND');
  // Tokens the user owned stay in the inventory (owner set null by FK); assignments and memberships cascade.
  const deleted = await deleteUserRow(d1, id, audit({ action: 'delete', objectType: 'user', objectId: id, objectName: before.login, before: auditedUser(before) }));
  if (!deleted) throw await notFoundOrLastAdmin(d1, id);
}

/** Why a guarded change touched no row. */
async function notFoundOrLastAdmin(d1: D1Database, id: string): Promise<AppError> {
  return new AppError((await readUserRow(d1, id)) ? 'LAST_ADMIN' : 'USER_NOT_FOUND');
}


/** Lifts the sign-in lockout after repeated password failures (the lock is kept per login name). */
export async function unlockUser(d1: D1Database, id: string, audit: Audit): Promise<void> {
  const user = await readUserRow(d1, id);
  if (!user) throw new AppError('USER_NOT_FOUND');
  await clearLoginLockRows(d1, clearLoginFailuresStatement(d1, user.login), audit({ action: 'unlock', objectType: 'user', objectId: id, objectName: user.login }));
}

/** What the audit trail keeps of a user: the view (never the password hash), without the bookkeeping times. */
function auditedUser(row: UserRow): Omit<UserView, 'createdAt' | 'updatedAt' | 'id'> {
  const { createdAt: _created, updatedAt: _updated, id: _id, ...fields } = toUserView(row);
  return fields;
}
