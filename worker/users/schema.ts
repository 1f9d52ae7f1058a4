import { z } from 'zod';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../constants';
import { PHONE_MAX_LENGTH } from '../contract/fields';
import { fields } from '../lib/validate';

export const passwordField = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH);

/** A user's phone number as the admin types it; empty (like null) means none. */
const userPhone = z.string().trim().max(PHONE_MAX_LENGTH);

export const createUserBody = z.strictObject({
  login: fields.login,
  firstName: fields.personName.default(''),
  lastName: fields.personName.default(''),
  email: fields.email.nullable().optional(),
  phone: userPhone.nullable().optional(),
  language: fields.language.default('en'),
  password: passwordField.optional(),
  isAdmin: z.boolean().default(false),
  enabled: z.boolean().default(true),
});
export type CreateUserInput = z.infer<typeof createUserBody>;

export const updateUserBody = z.strictObject({
  login: fields.login.optional(),
  firstName: fields.personName.optional(),
  lastName: fields.personName.optional(),
  email: fields.email.nullable().optional(),
  phone: userPhone.nullable().optional(),
  language: fields.language.optional(),
  isAdmin: z.boolean().optional(),
  enabled: z.boolean().optional(),
});
export type UpdateUserInput = z.infer<typeof updateUserBody>;

export const setPasswordBody = z.strictObject({ password: passwordField.nullable() });

export const listUsersQuery = z.object({
  search: fields.search,
  page: fields.page,
  pageSize: fields.pageSize,
});
