/**
 * The user as a sign-in script sees it (`Context.User`): system names, which ones a script may change, and how a
 * change becomes a D1 update. Privilege fields (admin role) and credentials are deliberately absent: a claim sent
 * by an IdP must never be able to make someone an administrator or set a password.
 */
import { problemReport, type ProblemReport } from '../../script-engine';
import { PERSON_NAME_MAX_LENGTH, PHONE_MAX_LENGTH } from '../contract/fields';
import { fields } from '../lib/validate';

export interface ScriptUserField {
  name: string;
  column: string;
  writable: boolean;
  type: 'string' | 'boolean';
  description: string;
  /** Checks a value a script wants to write: the problem (rendered in the designer's language), or null. */
  check?: (value: unknown) => ProblemReport | null;
}

const maxLength = (name: string, limit: number) => (value: unknown) =>
  typeof value === 'string' && value.length <= limit ? null : problemReport('userFieldTooLong', { name, max: limit });

export const SCRIPT_USER_FIELDS: ScriptUserField[] = [
  { name: 'id', column: 'id', writable: false, type: 'string', description: "The user's id (GUID); the same as Context.UserId." },
  { name: 'login', column: 'login', writable: false, type: 'string', description: 'The login name. Read-only for scripts: integrations may link accounts by it.' },
  { name: 'firstName', column: 'first_name', writable: true, type: 'string', description: 'First name.', check: maxLength('firstName', PERSON_NAME_MAX_LENGTH) },
  { name: 'lastName', column: 'last_name', writable: true, type: 'string', description: 'Last name.', check: maxLength('lastName', PERSON_NAME_MAX_LENGTH) },
  {
    name: 'email',
    column: 'email',
    writable: true,
    type: 'string',
    description: 'Email address (identifies the user at SAML sign-in).',
    check: (value) => (typeof value === 'string' && fields.email.safeParse(value).success ? null : problemReport('userFieldNotEmail', { name: 'email' })),
  },
  { name: 'phone', column: 'phone', writable: true, type: 'string', description: 'Contact phone number.', check: maxLength('phone', PHONE_MAX_LENGTH) },
  {
    name: 'language',
    column: 'language',
    writable: true,
    type: 'string',
    description: 'Language of messages and pages: "de" or "en".',
    check: (value) => (value === 'de' || value === 'en' ? null : problemReport('userFieldLanguage', { name: 'language' })),
  },
  {
    name: 'enabled',
    column: 'enabled',
    writable: true,
    type: 'boolean',
    description: 'Whether the user may sign in at all.',
    check: (value) => (typeof value === 'boolean' ? null : problemReport('userFieldNotBoolean', { name: 'enabled' })),
  },
  { name: 'isAdmin', column: 'is_admin', writable: false, type: 'boolean', description: 'Administrator role. Read-only for scripts.' },
];

const BY_NAME = new Map(SCRIPT_USER_FIELDS.map((field) => [field.name, field]));

export function scriptUserFieldNamed(name: string): ScriptUserField | undefined {
  return BY_NAME.get(name);
}

/** The `Context.User` object for a users row. */
export function scriptUserOf(row: Record<string, unknown>): Record<string, string | boolean> {
  const user: Record<string, string | boolean> = Object.create(null);
  for (const field of SCRIPT_USER_FIELDS) {
    const value = row[field.column];
    user[field.name] = field.type === 'boolean' ? value === 1 || value === true : ((value as string | null) ?? '');
  }
  return user;
}
