import type { InferSelectModel, Table } from 'drizzle-orm';

/** A value as SQLite holds it: drizzle's boolean columns are 0/1 integers, which a statement written in SQL reads. */
type Stored<Value> = Value extends boolean ? number : Value;

type SelectedUnderColumnNames<T extends Table> = InferSelectModel<T, { dbColumnNames: true }>;

/**
 * A row of `T` as D1 answers a statement written in SQL (one drizzle does not map): under the columns' SQL names,
 * with the schema's types as stored. Pick the columns the statement selects or returns.
 */
export type StoredRow<T extends Table> = { [Column in keyof SelectedUnderColumnNames<T>]: Stored<SelectedUnderColumnNames<T>[Column]> };
