/**
 * A generic HTTP SMS gateway: the admin describes the request (method, URL, headers, body with {{phone}} and
 * {{text}}) and how success looks (statuses, a text the body must contain). Values are encoded for where they
 * land: URL-encoded in the URL, JSON-string-escaped in a JSON body, form-encoded in a form body.
 */
import { z } from 'zod';
import { AppError } from '../../errors';
import { GATEWAY_PLACEHOLDERS, renderTemplate, validateTemplate } from '../templates';
import { callProvider, httpError, type ProviderTarget } from './http';
import { noLineBreaks, timeoutMs, url } from './schema-parts';
import { defineProvider, ProviderError, type ProviderResult, type SecretAccess, type SmsMessage } from './types';

const headerName = z.string().trim().min(1).max(100).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid HTTP header name');

const defaults = { method: 'POST', contentType: 'application/json' } as const;

const schema = z.object({
  type: z.literal('generic'),
  method: z.enum(['POST', 'PUT', 'GET']).default(defaults.method),
  /** May contain {{phone}} and {{text}} (URL-encoded when inserted). */
  url,
  headers: z
    .array(
      z.object({
        name: headerName,
        /** Secret header values (Authorization, API keys) are sealed at rest and masked in views. */
        value: z.string().max(2000).refine(noLineBreaks, 'must be one line').optional(),
        secret: z.boolean().default(false),
      }),
    )
    .max(20)
    .default([]),
  /** May contain {{phone}} and {{text}}, encoded for the content type (JSON string escaping, form encoding). */
  bodyTemplate: z.string().max(10_000).default(''),
  contentType: z.enum(['application/json', 'application/x-www-form-urlencoded', 'text/plain']).default(defaults.contentType),
  /** Accepted HTTP statuses; empty means any 2xx. */
  successStatus: z.array(z.number().int().min(100).max(599)).max(20).default([]),
  /** When set, the response body must also contain this text (for gateways that answer 200 with an error). */
  successBodyContains: z.string().max(200).optional(),
  timeoutMs,
});

export type GenericHeader = { name: string; value: string; secret: boolean };
type GenericSupplier = Omit<z.infer<typeof schema>, 'headers'> & { headers: GenericHeader[] };

/** The gateway's secrets are the values of the headers marked secret, sealed under the header's name. */
const secretHeaders: SecretAccess = {
  list: (provider) =>
    headersOf(provider).flatMap((h, i) => (h.secret ? [{ field: `headers.${h.name.toLowerCase()}`, path: `headers.${i}.value`, value: h.value }] : [])),
  replace: (provider, values) => ({
    ...provider,
    headers: headersOf(provider).map((h) => ({ name: h.name, secret: h.secret, value: h.secret ? (values.get(`headers.${h.name.toLowerCase()}`) ?? '') : (h.value ?? '') })),
  }),
};

function headersOf(provider: { type: string }): Array<{ name: string; value?: string; secret: boolean }> {
  const headers: unknown = Reflect.get(provider, 'headers');
  return Array.isArray(headers) ? headers : [];
}

export const generic = defineProvider({
  type: 'generic',
  channel: 'sms',
  schema,
  defaults,
  urlField: 'url',
  secrets: secretHeaders,
  check: checkGatewayTemplates,
  send: (supplier: GenericSupplier, message: SmsMessage, context) => sendGenericSms(supplier, context.target, message),
});

/** Throws TEMPLATE_INVALID when a request template is malformed or the request would not carry the text. */
function checkGatewayTemplates(supplier: GenericSupplier, path: string): void {
  const problems = [
    ...validateTemplate(supplier.url, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.url`, message: p.message })),
    ...validateTemplate(supplier.bodyTemplate, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.bodyTemplate`, message: p.message })),
    ...supplier.headers.flatMap((header, i) =>
      validateTemplate(header.value, GATEWAY_PLACEHOLDERS).map((p) => ({ path: `${path}.headers.${i}.value`, message: p.message })),
    ),
  ];
  if (problems.length > 0) throw new AppError('TEMPLATE_INVALID', `${problems[0]!.path}: ${problems[0]!.message}`, { issues: problems });
  if (!/\{\{\s*text\s*\}\}/.test(supplier.url + supplier.bodyTemplate)) {
    throw new AppError('TEMPLATE_INVALID', `${path}: the gateway request must carry the message: put {{text}} into the URL or the body`);
  }
}

const BODY_ENCODERS: Record<GenericSupplier['contentType'], (value: string) => string> = {
  // The template holds the quotes: `"to": "{{phone}}"`; the value is escaped to stay inside them.
  'application/json': (value) => JSON.stringify(value).slice(1, -1),
  'application/x-www-form-urlencoded': (value) => encodeURIComponent(value).replace(/%20/g, '+'),
  'text/plain': (value) => value,
};

function buildGenericRequest(supplier: GenericSupplier, message: SmsMessage): { url: string; init: RequestInit } {
  const values = { phone: message.to, text: message.text };
  const url = renderTemplate(supplier.url, values, { allowed: GATEWAY_PLACEHOLDERS, encode: encodeURIComponent });
  const headers = new Headers();
  for (const header of supplier.headers) {
    // Line breaks in a header value would be refused by fetch (and are an injection risk): flatten them.
    headers.set(header.name, renderTemplate(header.value, values, { allowed: GATEWAY_PLACEHOLDERS, encode: (v) => v.replace(/[\r\n]+/g, ' ') }));
  }
  const init: RequestInit = { method: supplier.method, headers };
  if (supplier.method !== 'GET' && supplier.bodyTemplate) {
    if (!headers.has('content-type')) headers.set('content-type', `${supplier.contentType}; charset=utf-8`);
    init.body = renderTemplate(supplier.bodyTemplate, values, { allowed: GATEWAY_PLACEHOLDERS, encode: BODY_ENCODERS[supplier.contentType] });
  }
  return { url, init };
}

async function sendGenericSms(supplier: GenericSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
  const { url, init } = buildGenericRequest(supplier, message);
  const response = await callProvider('generic', target, url, init, supplier.timeoutMs);
  const statusOk = supplier.successStatus.length > 0 ? supplier.successStatus.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!statusOk) throw httpError('generic', response);
  if (supplier.successBodyContains && !response.text.includes(supplier.successBodyContains)) {
    throw new ProviderError('generic', 'rejected', `the answer does not contain "${supplier.successBodyContains}"`, response.text || 'no body');
  }
  return { providerMessageId: null };
}
