/**
 * The admin API's answers declared field by field. Each answer schema is written once beside its routes and tied
 * to the service's view type by `answerOf<View>()`, so the OpenAPI document, the handler's type and the UI's
 * imported type cannot drift apart: a field added, dropped or retyped on either side fails the type-check.
 */
import { z } from 'zod';

/** true when A and B accept the same values (each assignable to the other), false otherwise. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `answerOf<UserView>()(schema)`: the schema, accepted only when what it parses to is exactly the view type. */
export function answerOf<View>() {
  return <S extends z.ZodType>(schema: S & (SameShape<z.output<S>, View> extends true ? unknown : { answerSchemaDiffersFrom: View })): S => schema;
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
