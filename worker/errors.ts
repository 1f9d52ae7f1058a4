/**
 * Domain errors. Services throw `AppError`; the one `onError` in app.ts maps it to HTTP as
 * `{ "error": { "code": "UPPER_SNAKE", "message": "...", "details"? } }`. The codes, their status and English
 * message are in worker/contract/errors.ts (the UI reads them too): add a new code there.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CATALOGUE, type ErrorCode } from './contract/errors';

export { ERROR_CATALOGUE, type ErrorCode };

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
