/**
 * The admin API's answers declared field by field. Each answer schema is written once beside its routes and tied
 * to the service's view type by `answerOf<View>()`, so the OpenAPI document, the handler's type and the UI's
 * imported type cannot drift apart: a field added, dropped or retyped on either side fails the type-check.
 */
import { z } from 'zod';
import { OWN_ISSUE_CODES, SCHEMA_ISSUE_CODES, type FieldIssue, type FieldIssueParams } from '../contract/field-issues';

/** true when A and B accept the same values (each assignable to the other), false otherwise. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `answerOf<UserView>()(schema)`: the schema, accepted only when what it parses to is exactly the view type. */
export function answerOf<View>() {
  return <S extends z.ZodType>(schema: S & (SameShape<z.output<S>, View> extends true ? unknown : { answerSchemaDiffersFrom: View })): S => schema;
}

/**
 * `answerFits<View>()(schema)`: the schema, accepted only when every value of the view is a value the schema
 * describes. For the few answers whose schema is shared with a request (the messaging providers' settings: their
 * secrets are optional in a save, always present, masked, in the answer), so exact equality cannot hold.
 */
export function answerFits<View>() {
  return <S extends z.ZodType>(schema: S & ([View] extends [z.output<S>] ? unknown : { answerSchemaDoesNotFit: View })): S => schema;
}

/** One page of a list (lib/paging.ts `Page<T>`). */
export const pageOf = <S extends z.ZodType>(item: S) =>
  z.object({
    items: z.array(item),
    total: z.number().int().describe('Rows matching the filter, over all pages'),
    page: z.number().int().describe('1-based'),
    pageSize: z.number().int(),
  });

/** `{items: [...]}`: a list answered whole (few enough rows that it has no pages). */
export const itemsOf = <S extends z.ZodType>(item: S) => z.object({ items: z.array(item) });

/** Times are milliseconds since 1970 (UTC). */
export const epochMs = () => z.number().int().describe('Milliseconds since 1970-01-01 UTC');

/** What a refused field says, for the page to render in its language (worker/contract/field-issues.ts). */
export const fieldIssueParamsAnswer = answerOf<FieldIssueParams>()(
  z.object({
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    origin: z.string().optional(),
    format: z.string().optional(),
    pattern: z.string().optional(),
    expected: z.string().optional(),
    values: z.array(z.string()).optional(),
    keys: z.array(z.string()).optional(),
    key: z.string().optional(),
    maxBytes: z.number().optional(),
  }),
);
export const fieldIssueCodeAnswer = z.enum([...SCHEMA_ISSUE_CODES, ...OWN_ISSUE_CODES]);
export const fieldIssueAnswer = answerOf<FieldIssue>()(
  z.object({ path: z.string(), code: fieldIssueCodeAnswer.optional(), params: fieldIssueParamsAnswer.optional(), message: z.string().describe('In English') }),
);
