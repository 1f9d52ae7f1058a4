/**
 * CSV token import: `serial,seed,type,digits,counter,period[,algorithm,description]` with a header row naming the
 * columns (any order; `counter` or `period` as the type needs). Every row is checked and every problem reported with
 * its line; if any row is bad, nothing is imported.
 */
import { MAX_IMPORT_TOKENS } from '../constants';
import type { HashAlgorithm } from '../db/schema';
import { AppError } from '../errors';
import type { Bytes } from '../lib/encoding';
import { decodeSeed } from './secrets';
import { isValidTokenCounter, TOKEN_COUNTER_RULE, type NewTokenParams } from './service';

export interface ImportProblem {
  line: number;
  field?: string;
  message: string;
}

export type ImportedToken = NewTokenParams & { serial: string; seed: Bytes };

const REQUIRED = ['serial', 'seed', 'type'] as const;
const KNOWN = new Set(['serial', 'seed', 'type', 'digits', 'counter', 'period', 'algorithm', 'description']);
const SERIAL = /^[\w.:-]{1,64}$/;

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks. Returns rows with their line. */
export function parseCsv(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const source = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',' || char === ';') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      line++;
      rowLine = line;
    } else field += char;
  }
  if (quoted) throw new AppError('INVALID_IMPORT', `Line ${rowLine}: a quoted field is not closed.`, { problems: [{ line: rowLine, message: 'a quoted field is not closed' }] });
  fields.push(field);
  if (fields.some((f) => f.trim() !== '')) rows.push({ line: rowLine, fields });
  return rows;
}

/** Parses and validates the whole file; throws INVALID_IMPORT listing every problem, or returns the tokens. */
export function readTokenCsv(text: string): ImportedToken[] {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) throw new AppError('INVALID_IMPORT', 'The file is empty.', { problems: [{ line: 1, message: 'the file is empty' }] });
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const problems: ImportProblem[] = [];
  for (const name of columns) if (!KNOWN.has(name)) problems.push({ line: header.line, field: name, message: `unknown column "${name}"` });
  for (const name of REQUIRED) if (!columns.includes(name)) problems.push({ line: header.line, field: name, message: `the column "${name}" is missing` });
  if (problems.length) throw new AppError('INVALID_IMPORT', 'The header row is not valid.', { problems });
  if (rows.length === 0) throw new AppError('INVALID_IMPORT', 'The file has no tokens.', { problems: [{ line: header.line, message: 'no rows after the header' }] });
  if (rows.length > MAX_IMPORT_TOKENS) throw new AppError('INVALID_IMPORT', `At most ${MAX_IMPORT_TOKENS} tokens per file.`, { problems: [{ line: rows[MAX_IMPORT_TOKENS]!.line, message: 'too many rows' }] });

  const tokens: ImportedToken[] = [];
  const seenSerials = new Map<string, number>();
  for (const row of rows) {
    const value = (name: string) => (row.fields[columns.indexOf(name)] ?? '').trim();
    const problem = (field: string, message: string) => problems.push({ line: row.line, field, message });
    if (row.fields.length > columns.length) problem('row', `${row.fields.length} fields, but the header has ${columns.length}`);
    const serial = value('serial');
    if (!SERIAL.test(serial)) problem('serial', 'must be 1 to 64 letters, digits or . _ : -');
    const earlier = seenSerials.get(serial.toLowerCase());
    if (earlier) problem('serial', `${serial} appears already on line ${earlier}`);
    seenSerials.set(serial.toLowerCase(), row.line);
    const type = value('type').toUpperCase();
    if (type !== 'TOTP' && type !== 'HOTP') problem('type', 'must be totp or hotp');
    let seed: Bytes | null = null;
    try {
      seed = decodeSeed(value('seed'));
      if (seed.length < 10) problem('seed', 'is shorter than 80 bits');
    } catch {
      problem('seed', 'must be hex or base32');
    }
    const digits = value('digits') === '' ? 6 : Number(value('digits'));
    if (digits !== 6 && digits !== 8) problem('digits', 'must be 6 or 8');
    const algorithm = (value('algorithm') || 'SHA1').toUpperCase().replace('-', '') as HashAlgorithm;
    if (!['SHA1', 'SHA256', 'SHA512'].includes(algorithm)) problem('algorithm', 'must be SHA1, SHA256 or SHA512');
    const counter = value('counter') === '' ? 0 : Number(value('counter'));
    if (!isValidTokenCounter(counter)) problem('counter', TOKEN_COUNTER_RULE);
    const period = value('period') === '' ? 30 : Number(value('period'));
    if (type === 'TOTP' && period !== 30 && period !== 60) problem('period', 'must be 30 or 60');
    const description = value('description');
    if (description.length > 200) problem('description', 'is longer than 200 characters');
    if (seed) tokens.push({ serial, seed, type: type as 'TOTP' | 'HOTP', digits, algorithm, counter, periodSeconds: period, description });
  }
  if (problems.length) throw new AppError('INVALID_IMPORT', `${problems.length} problem(s) in the file; nothing was imported.`, { problems });
  return tokens;
}
