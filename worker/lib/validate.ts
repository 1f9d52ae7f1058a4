/**
 * zod at the edges only: every request body, query and param goes through `parse`, which raises our own
 * VALIDATION_FAILED with the field paths, never zod's exception.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { MAX_JSON_BODY_BYTES } from '../constants';
import { AppError } from '../errors';

export function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const first = issues[0];
    throw new AppError(
      'VALIDATION_FAILED',
      first ? `${first.path || 'body'}: ${first.message}` : undefined,
      { issues },
    );
  }
  return result.data;
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
  // The declared length can lie (or be absent with chunked encoding): count while reading.
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
  id: z.string().uuid(),
  login: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{N}._@+-]+$/u, 'may contain letters, digits and . _ @ + - only'),
  email: z.string().trim().max(254).email(),
  language: z.enum(['de', 'en']),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(25),
  search: z.string().trim().max(200).optional(),
};
