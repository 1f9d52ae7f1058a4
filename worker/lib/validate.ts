/**
 * zod at the edges only: every request body, query and param goes through `parse`, which raises our own
 * VALIDATION_FAILED with one FieldIssue per refused field (worker/contract/field-issues.ts), never zod's exception.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_JSON_BODY_BYTES } from '../constants';
import { FIELD_ISSUE_CODES, type FieldIssue, type FieldIssueCode, type FieldIssueParams } from '../contract/field-issues';
import {
  EMAIL_MAX_LENGTH,
  LOGIN_MAX_LENGTH,
  LOGIN_PATTERN,
  NAMED_PATTERNS,
  PERSON_NAME_MAX_LENGTH,
  PHONE_MAX_LENGTH,
  PHONE_MIN_LENGTH,
  SENT_CODE_MAX_LENGTH,
  TYPED_OTP_MAX_LENGTH,
  type PatternName,
} from '../contract/fields';
import { LANGUAGES } from '../contract/language';
import { AppError } from '../errors';

export function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailed(result.error.issues, input);
  return result.data;
}

/** The refusal of a whole input: one FieldIssue per zod issue (also the declared routes' validation hook). */
export function validationFailed(zodIssues: readonly z.core.$ZodIssue[], input: unknown): AppError {
  const issues = zodIssues.map((issue) => fieldIssue(issue, input));
  const first = issues[0];
  return new AppError('VALIDATION_FAILED', first ? `${first.path || 'body'}: ${first.message}` : undefined, { issues });
}

/** A refusal of one field found after parsing (a service's own rule), shaped like parse's. */
export function fieldRefusal(path: string, code: FieldIssueCode, message: string, params?: FieldIssueParams): AppError {
  const issue: FieldIssue = params ? { path, code, params, message } : { path, code, message };
  return new AppError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [issue] });
}

const PATTERN_NAMES = new Map(Object.entries(NAMED_PATTERNS).map(([name, pattern]) => [String(pattern), name as PatternName]));

/** A zod issue as a FieldIssue: our own code where the schema names one, zod's code and its parameters otherwise. */
export function fieldIssue(issue: z.core.$ZodIssue, input: unknown): FieldIssue {
  const path = issue.path.join('.');
  const own = issue.code === 'custom' ? (issue.params as { code?: string } | undefined)?.code : undefined;
  if (own && (FIELD_ISSUE_CODES as readonly string[]).includes(own)) return { path, code: own as FieldIssueCode, message: issue.message };
  // A field left out reads "Invalid input: expected string, received undefined": say it is required.
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return { path, code: 'REQUIRED', message: issue.message };
  return { path, code: issue.code as FieldIssueCode, params: issueParams(issue), message: issue.message };
}

function issueParams(issue: z.core.$ZodIssue): FieldIssueParams | undefined {
  switch (issue.code) {
    case 'too_small':
      return { minimum: Number(issue.minimum), origin: issue.origin };
    case 'too_big':
      return { maximum: Number(issue.maximum), origin: issue.origin };
    case 'invalid_format': {
      const pattern = 'pattern' in issue && typeof issue.pattern === 'string' ? PATTERN_NAMES.get(issue.pattern) : undefined;
      return pattern ? { format: issue.format, pattern } : { format: issue.format };
    }
    case 'invalid_type':
      return { expected: issue.expected };
    case 'invalid_value':
      return { values: issue.values.map(String) };
    case 'unrecognized_keys':
      return { keys: issue.keys };
    default:
      return undefined;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Reads a JSON body with a size cap, then validates it. */
export async function parseJsonBody<T extends z.ZodType>(
  c: Context,
  schema: T,
  maxBytes = MAX_JSON_BODY_BYTES,
): Promise<z.infer<T>> {
  const text = await readBodyText(c, maxBytes);
  let json: unknown;
  try {
    json = text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new AppError('MALFORMED_JSON');
  }
  return parse(schema, json);
}

export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE');
  const body = c.req.raw.body;
  if (!body) return '';
  // A declared length is what the HTTP layer delivers, byte for byte (more is the next request on the connection,
  // less fails the read), and it was checked above: the body is read whole at once, the cheaper way for the small
  // JSON bodies every API takes (a warm verify spent a tenth of its Worker CPU in the loop below).
  if (declared > 0) return c.req.raw.text();
  // No length declared (chunked encoding): count while reading.
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new AppError('PAYLOAD_TOO_LARGE');
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  return parse(schema, c.req.query());
}

/** Common field shapes. */
export const fields = {
  id: z.uuid(),
  login: z
    .string()
    .trim()
    .min(1)
    .max(LOGIN_MAX_LENGTH)
    .regex(LOGIN_PATTERN, 'may contain letters, digits and . _ @ + - only'),
  email: z.string().trim().max(EMAIL_MAX_LENGTH).check(z.email()),
  /** A first or last name; the caller says whether it may be empty. */
  personName: z.string().trim().max(PERSON_NAME_MAX_LENGTH),
  /** A phone number as typed; whether it exists is worker/lib/phone.ts's check. */
  phone: z.string().trim().min(PHONE_MIN_LENGTH).max(PHONE_MAX_LENGTH),
  /** Where an SMS or EMAIL token's codes go: a phone number or an email address, told apart by the token's type. */
  codeDestination: z.string().trim().min(PHONE_MIN_LENGTH).max(EMAIL_MAX_LENGTH),
  /** A one-time code as typed (PIN with OTP, OCRA response, recovery code). */
  typedOtp: z.string().trim().min(1).max(TYPED_OTP_MAX_LENGTH),
  /** A code sent by SMS or email, as typed. */
  sentCode: z.string().trim().min(1).max(SENT_CODE_MAX_LENGTH),
  language: z.enum(LANGUAGES),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(25),
  search: z.string().trim().max(200).optional(),
};
