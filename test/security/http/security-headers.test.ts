/**
 * Security headers on every kind of page, over real HTTP to the Worker as `npm start` runs it (wrangler dev with
 * the built UI as static assets).
 *
 * The attack: `/`, `/profile`, `/welcome`, `/assets/*` and the SPA fallback were served straight from the static
 * assets without CSP, frame-ancestors, nosniff, HSTS or a referrer policy, so the sign-in and profile pages could be
 * framed (clickjacking), and an injected script would have run unrestricted. Now every request passes through the
 * Worker, which adds the headers in one middleware (worker/lib/security-headers.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startApp, type E2eApp } from '../../e2e/harness';

let app: E2eApp;

/** A self-signed certificate, so that /saml/metadata has a saved configuration to describe. */
function certificateBase64(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'headers-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=idp.headers.test', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'c')], { stdio: 'ignore' });
    return readFileSync(path.join(dir, 'c'), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  app = await startApp({ browser: false });
  const yaml = `version: "1.0"\nconfig:\n  entityId: https://idp.headers.test/saml\n  singleSignOnServiceUrl: https://idp.headers.test/sso\n  spEntityId: ${app.url}/saml/metadata\n  certificate: ${certificateBase64()}\n  claimEmail: NameID\n`;
  await app.adminApi('PUT', '/saml', { yaml, allowSignIn: false });
});
afterAll(async () => app?.stop());

function scriptOfIndex(): string {
  const html = readFileSync(path.join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
  const src = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!src) throw new Error('ui/dist/index.html names no /assets/*.js script');
  return src;
}

describe('security headers on every response', () => {
  it('pages, assets, the SPA fallback, the API, SAML and the portal all carry the same strict headers', async () => {
    const pages: Array<{ path: string; accept?: string; expectType: RegExp }> = [
      { path: '/', accept: 'text/html', expectType: /text\/html/ },
      { path: '/login', accept: 'text/html', expectType: /text\/html/ },
      { path: '/profile', accept: 'text/html', expectType: /text\/html/ },
      { path: '/welcome', accept: 'text/html', expectType: /text\/html/ },
      { path: '/admin', accept: 'text/html', expectType: /text\/html/ },
      { path: '/no/such/page', accept: 'text/html', expectType: /text\/html/ },
      { path: '/no/such/page', expectType: /text\/html/ },
      { path: scriptOfIndex(), expectType: /javascript/ },
      { path: '/api/auth/saml-status', expectType: /application\/json/ },
      { path: '/api/admin/users', expectType: /application\/json/ },
      { path: '/api/no-such-endpoint', expectType: /application\/json/ },
      { path: '/saml/metadata', expectType: /samlmetadata\+xml/ },
      { path: '/selfservice/no-such-portal', accept: 'text/html', expectType: /text\/html/ },
      { path: '/health', expectType: /application\/json/ },
    ];
    // All at once, the way a browser (or a scanner) asks for them.
    const responses = await Promise.all(pages.map((page) => fetch(`${app.url}${page.path}`, { headers: page.accept ? { accept: page.accept } : {}, redirect: 'manual' })));
    for (const [i, response] of responses.entries()) {
      const { path: pagePath, expectType } = pages[i]!;
      const label = `${pagePath} (${response.status})`;
      expect(response.status, label).toBeLessThan(500);
      expect(response.headers.get('content-type') ?? '', label).toMatch(expectType);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, label).toContain("frame-ancestors 'none'");
      expect(csp, label).toContain("script-src 'self'");
      expect(csp, label).toContain("object-src 'none'");
      expect(csp, label).not.toContain('unsafe-eval');
      expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
      expect(response.headers.get('strict-transport-security'), label).toMatch(/max-age=\d{7,}/);
      expect(response.headers.get('referrer-policy'), label).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), label).toBe('DENY');
      await response.arrayBuffer();
    }
    // The UI is what was served, not an error page with headers: the SPA fallback is the app's index.html.
    expect(await (await fetch(`${app.url}/no/such/page`, { headers: { accept: 'text/html' } })).text()).toContain('<div id="app"></div>');
    expect(await (await fetch(`${app.url}/saml/metadata`)).text()).toContain('WantAssertionsSigned="true"');
  });

  it('every other kind of answer carries them too: HEAD, OPTIONS, 405, 304, ranges, 413, errors, redirects, SAML pages', async () => {
    // Attack: look for the answer the middleware misses (a conditional 304, an early 413, a redirect, the SAML
    // error page an IdP's POST lands on) and frame it or sniff it.
    await app.adminApi('PUT', '/saml', { yaml: (await app.adminApi('GET', '/saml')).yaml, allowSignIn: true });
    await app.adminApi('POST', '/saml/apply', {});
    const script = scriptOfIndex();
    const first = await fetch(`${app.url}${script}`);
    const etag = first.headers.get('etag');
    await first.arrayBuffer();
    expect(etag).toBeTruthy();
    const json = { 'content-type': 'application/json', origin: app.url };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const kinds: Array<{ label: string; path: string; init?: RequestInit; status: number }> = [
      { label: 'HEAD of a page', path: '/', init: { method: 'HEAD' }, status: 200 },
      { label: 'OPTIONS of a page', path: '/', init: { method: 'OPTIONS' }, status: 405 },
      { label: 'POST to a page', path: '/profile', init: { method: 'POST', body: 'x' }, status: 405 },
      { label: 'OPTIONS preflight of the API', path: '/api/admin/users', init: { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } }, status: 401 },
      { label: 'conditional asset (304)', path: script, init: { headers: { 'if-none-match': etag! } }, status: 304 },
      { label: 'asset range', path: script, init: { headers: { range: 'bytes=0-9' } }, status: 200 },
      { label: 'too large JSON body (413)', path: '/api/auth/login', init: { method: 'POST', headers: json, body: 'x'.repeat(2_000_000) }, status: 413 },
      { label: 'malformed JSON (400)', path: '/api/auth/login', init: { method: 'POST', headers: json, body: '{' }, status: 400 },
      { label: 'sign-out (204)', path: '/api/auth/logout', init: { method: 'POST' }, status: 204 },
      { label: 'OpenAPI document', path: '/api/admin/openapi.json', status: 200 },
      { label: 'SAML sign-in redirect (302)', path: '/saml/login', status: 302 },
      { label: 'SAML refused response page (400)', path: '/saml/acs', init: { method: 'POST', headers: form, body: 'SAMLResponse=PHg%2BPC94Pg%3D%3D' }, status: 400 },
      { label: 'SAML too large response page (413)', path: '/saml/acs', init: { method: 'POST', headers: form, body: `SAMLResponse=${'x'.repeat(2_000_000)}` }, status: 413 },
      { label: 'SAML bad return path page (400)', path: '/saml/login?RelayState=//evil.example/', status: 400 },
    ];
    const responses = await Promise.all(kinds.map((kind) => fetch(`${app.url}${kind.path}`, { ...kind.init, redirect: 'manual' })));
    for (const [i, response] of responses.entries()) {
      const label = `${kinds[i]!.label}: ${kinds[i]!.init?.method ?? 'GET'} ${kinds[i]!.path.slice(0, 60)}`;
      expect(response.status, label).toBe(kinds[i]!.status);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, label).toContain("frame-ancestors 'none'");
      expect(csp, label).toContain("script-src 'self'");
      // The SAML pages are plain HTML without scripts: no inline script is ever allowed.
      expect(csp, label).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(response.headers.get('x-content-type-options'), label).toBe('nosniff');
      expect(response.headers.get('strict-transport-security'), label).toMatch(/max-age=\d{7,}/);
      expect(response.headers.get('referrer-policy'), label).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), label).toBe('DENY');
      const body = await response.text();
      if (kinds[i]!.path.startsWith('/saml/')) expect(body, label).not.toMatch(/<script/i);
    }
    expect(responses[10]!.headers.get('location')).toMatch(/^https:\/\/idp\.headers\.test\/sso\?SAMLRequest=/);
  });

  it('the index page loads no inline script, so the CSP without unsafe-inline scripts does not break it', () => {
    const html = readFileSync(path.join(ROOT, 'ui', 'dist', 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script[1]!.trim(), script[0]).toBe('');
  });
});
