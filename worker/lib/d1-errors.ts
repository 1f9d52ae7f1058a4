/** Recognises SQLite constraint failures coming back from D1, to turn them into domain errors. */
export function isUniqueViolation(error: unknown, indexOrColumn?: string): boolean {
  const message = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
  if (!/UNIQUE constraint failed|SQLITE_CONSTRAINT_UNIQUE|SQLITE_CONSTRAINT_PRIMARYKEY/i.test(message)) return false;
  return indexOrColumn === undefined || message.includes(indexOrColumn);
}
