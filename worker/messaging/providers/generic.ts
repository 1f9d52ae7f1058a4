/**
 * A generic HTTP SMS gateway: the admin describes the request (method, URL, headers, body with {{phone}} and
 * {{text}}) and how success looks (statuses, a text the body must contain). Values are encoded for where they
 * land: URL-encoded in the URL, JSON-string-escaped in a JSON body, form-encoded in a form body.
 */
import type { SmsSupplier } from '../settings';
import { GATEWAY_PLACEHOLDERS, renderTemplate } from '../templates';
import { callProvider, httpError, type ProviderTarget } from './http';
import { ProviderError, type ProviderResult, type SmsMessage } from './types';

type GenericSupplier = Extract<SmsSupplier, { type: 'generic' }>;

const BODY_ENCODERS: Record<GenericSupplier['contentType'], (value: string) => string> = {
  // The template holds the quotes: `"to": "{{phone}}"`; the value is escaped to stay inside them.
  'application/json': (value) => JSON.stringify(value).slice(1, -1),
  'application/x-www-form-urlencoded': (value) => encodeURIComponent(value).replace(/%20/g, '+'),
  'text/plain': (value) => value,
};

export function buildGenericRequest(supplier: GenericSupplier, message: SmsMessage): { url: string; init: RequestInit } {
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

export async function sendGenericSms(supplier: GenericSupplier, target: ProviderTarget, message: SmsMessage): Promise<ProviderResult> {
  const { url, init } = buildGenericRequest(supplier, message);
  const response = await callProvider('generic', target, url, init, supplier.timeoutMs);
  const statusOk = supplier.successStatus.length > 0 ? supplier.successStatus.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!statusOk) throw httpError('generic', response);
  if (supplier.successBodyContains && !response.text.includes(supplier.successBodyContains)) {
    throw new ProviderError('generic', 'rejected', `the answer does not contain "${supplier.successBodyContains}"`, response.text || 'no body');
  }
  return { providerMessageId: null };
}
