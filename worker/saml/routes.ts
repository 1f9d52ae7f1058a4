/**
 * /saml: the browser side of SAML sign-in.
 *   GET  /saml/login?RelayState=/path   (alias returnTo)  302 to the IdP with an AuthnRequest (HTTP-Redirect)
 *   POST /saml/acs                      the IdP's HTTP-POST of SAMLResponse (+ RelayState): session + 303, or an error page
 *   GET  /saml/metadata                 this SP's EntityDescriptor
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { writeSessionCookie } from '../auth/sessions';
import { SAML_MAX_FORM_BODY_BYTES, SAML_REQUEST_TTL_MS } from '../constants';
import type { AppBindings } from '../env';
import { AppError } from '../errors';
import { clientAgent, clientIp, isSecureRequest, publicOrigin } from '../lib/http';
import { apiRouter, route } from '../lib/api-router';
import { readBodyText } from '../lib/validate';
import { readSamlConfigForMetadata } from './config-service';
import { newErrorReference, renderSamlErrorPage, type SamlErrorKind } from './error-page';
import { completeSamlSignIn, languageFromAcceptLanguage, recordOversizedSamlResponse, safeReturnPath, startSamlSignIn, type Language } from './sign-in-service';
import { buildSpMetadata } from './sp-messages';

const BINDING_COOKIE = '__Host-eid_saml_req';

/** The ACS URL IdPs post to and Recipient/Destination must name. */
export function acsUrlOf(c: Context<AppBindings>): string {
  return `${publicOrigin(c)}/saml/acs`;
}

/**
 * The cookie that binds pending AuthnRequests to this browser. The ACS is a cross-site POST from the IdP, so over
 * https it is SameSite=None (Secure, HttpOnly, __Host-); plain-http development falls back to Lax.
 */
function bindingCookieName(c: Context): string {
  return isSecureRequest(c) ? BINDING_COOKIE : BINDING_COOKIE.replace('__Host-', '');
}

function errorPage(c: Context<AppBindings>, kind: SamlErrorKind, language: Language, status: 400 | 409 | 413 | 429, reference?: string) {
  c.header('cache-control', 'no-store');
  return c.html(renderSamlErrorPage({ kind, language, reference }), status);
}

const tags = ['SAML sign-in'];
const errorPageResponse = { description: 'A page that says what went wrong, in the browser\'s language', content: { 'text/html': { schema: z.string() } } } as const;
// Refusals here are pages, never JSON: the query is read as the handler's own rules say (safeReturnPath).
// A repeated parameter counts by its first value (as c.req.query reads it), never as a refusal in JSON.
const firstValue = z.preprocess((value) => (Array.isArray(value) ? value[0] : value), z.string().optional());
const loginQuery = z.object({ RelayState: firstValue, returnTo: firstValue.describe('Alias of RelayState') });
// The form is read by the handler (with its own cap and the error page on refusal), not by a validator.
const acsForm = { type: 'object' as const, properties: { SAMLResponse: { type: 'string' as const }, RelayState: { type: 'string' as const } }, required: ['SAMLResponse'] };

export const samlRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/login',
      tags,
      summary: 'Start SAML sign-in: 302 to the IdP with an AuthnRequest (HTTP-Redirect); RelayState is a path on this origin',
      security: [],
      request: { query: loginQuery },
      responses: { 302: { description: 'To the IdP' }, 400: errorPageResponse, 409: errorPageResponse, 429: errorPageResponse },
    }),
    async (c) => {
      const language = languageFromAcceptLanguage(c.req.header('accept-language'));
      const query = c.req.valid('query');
      const requested = query.RelayState ?? query.returnTo;
      const returnTo = requested === undefined || requested === '' ? '/' : safeReturnPath(requested);
      // Open-redirect guard: only paths on this origin are carried to the IdP and back.
      if (returnTo === null) return errorPage(c, 'return_path', language, 400);
      const started = await startSamlSignIn(c.env.DB, {
        acsUrl: acsUrlOf(c),
        returnTo,
        browserToken: getCookie(c, bindingCookieName(c)) ?? null,
        meta: { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now },
      });
      if (!started.ok) return started.reason === 'rate_limited' ? errorPage(c, 'busy', language, 429) : errorPage(c, 'unavailable', language, 409);
      setCookie(c, bindingCookieName(c), started.browserToken, {
        httpOnly: true,
        secure: isSecureRequest(c),
        sameSite: isSecureRequest(c) ? 'None' : 'Lax',
        path: '/',
        maxAge: Math.floor(SAML_REQUEST_TTL_MS / 1000),
      });
      c.header('cache-control', 'no-store');
      return c.redirect(started.redirectUrl, 302);
    },
  )
  .openapi(
    route(
      {
        method: 'post',
        path: '/acs',
        tags,
        summary: "The IdP's HTTP-POST of SAMLResponse (+ RelayState): a session and 303 to the return path, or an error page",
        security: [],
        request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: acsForm } } } },
        responses: { 303: { description: 'Signed in: to the return path' }, 400: errorPageResponse, 409: errorPageResponse, 413: errorPageResponse, 429: errorPageResponse },
      },
      { readsBody: false },
    ),
    async (c) => {
      const browserLanguage = languageFromAcceptLanguage(c.req.header('accept-language'));
      const meta = { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now };
      let body: string;
      try {
        body = await readBodyText(c, SAML_MAX_FORM_BODY_BYTES);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'PAYLOAD_TOO_LARGE') throw error;
        const reference = newErrorReference();
        await recordOversizedSamlResponse(c.env.DB, meta, reference);
        return errorPage(c, 'failed', browserLanguage, 413, reference);
      }
      const contentType = (c.req.header('content-type') ?? '').toLowerCase();
      const form = contentType.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
      const outcome = await completeSamlSignIn(c.env.DB, {
        samlResponse: form.get('SAMLResponse'),
        relayState: form.get('RelayState'),
        browserToken: getCookie(c, bindingCookieName(c)) ?? null,
        acsUrl: acsUrlOf(c),
        browserLanguage,
        meta,
      });
      if (!outcome.ok) {
        const kind = outcome.status === 429 ? 'busy' : outcome.status === 409 ? 'unavailable' : 'failed';
        return errorPage(c, kind, outcome.language, outcome.status, outcome.reference);
      }
      writeSessionCookie(c, outcome.sessionToken);
      c.header('cache-control', 'no-store');
      return c.redirect(outcome.redirectTo, 303);
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/metadata',
      tags,
      summary: "This SP's EntityDescriptor (the latest saved configuration stands in before sign-in is switched on)",
      security: [],
      responses: { 200: { description: 'SAML metadata', content: { 'application/samlmetadata+xml': { schema: z.string() } } } },
    }),
    async (c) => {
      // IdP administrators need the metadata before sign-in is switched on: the latest saved version stands in.
      const config = await readSamlConfigForMetadata(c.env.DB);
      if (!config) throw new AppError('NOT_FOUND', 'No SAML configuration has been saved yet.');
      const xml = buildSpMetadata({
        spEntityId: config.spEntityId,
        acsUrl: acsUrlOf(c),
        loginUrl: `${publicOrigin(c)}/saml/login`,
        wantAssertionsSigned: config.allowResponseOnlySignatures !== true,
      });
      return c.body(xml, 200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8', 'content-disposition': 'inline; filename="sp-metadata.xml"' });
    },
  );
