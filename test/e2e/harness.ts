/**
 * Starts the product for a browser test the way `npm start` does, isolated in a temporary folder: a fresh local D1
 * with migrations applied by wrangler and the first admin (and an admin API key) seeded by the same script
 * `npm start` uses (made once per run and copied per file: test/setup/e2e-seeded-database.ts), `wrangler dev`
 * serving the Worker and the built UI on a free loopback port, and a headless Debian Chromium driven by
 * playwright-core. Optionally the local server impersonating SMS/email providers, so a test can read the codes
 * "sent" to a phone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { TOTP, type Secret } from 'otpauth';
import { E2E_WRANGLER_ENV } from '../setup/e2e-seeded-database';
import { startProviderServer } from '../setup/provider-server';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The Twilio account SID `useTwilio` configures (the impersonated API puts it in the request path). */
export const E2E_TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;

export interface E2eApp {
  /** Where the browser opens the app: http://127.0.0.1:<port>, or http://localhost:<port> with `localhost`. */
  url: string;
  admin: { login: string; password: string; apiKey: string };
  /** Base URL of the impersonated providers (when started), and the requests one scenario received. */
  providers: { url: string; requests(scenario: string): Promise<ProviderRequest[]> } | null;
  browser: Browser;
  newContext(): Promise<BrowserContext>;
  /**
   * Sends SMS through the impersonated Twilio under `scenario` (email and templates stay as they are), so a test
   * reads texted codes with `smsCodes`. Needs `startApp({ providers: true })`.
   */
  useTwilio(scenario: string): Promise<void>;
  /** The six-digit codes in the SMS `scenario` received for `phone`, oldest first; waits until there are `count`. */
  smsCodes(scenario: string, phone: string, count: number): Promise<string[]>;
  /** Calls the admin API with the seeded admin API key. */
  adminApi<T = any>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** Signs the seeded admin in on a page through the real sign-in form. */
  signInAsAdmin(page: Page): Promise<void>;
  stop(): Promise<void>;
}

export interface ProviderRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface StartOptions {
  /** Start the impersonated SMS/email providers (see `useTwilio`). */
  providers?: boolean;
  /** Extra Worker vars, e.g. PUBLIC_ORIGIN. */
  vars?: Record<string, string>;
  /**
   * false for attack tests that only speak HTTP (test/security/http/): no Chromium is launched and `browser` /
   * `newContext` throw when used.
   */
  browser?: boolean;
  /**
   * Open the app at http://localhost:<port> instead of the loopback IP: WebAuthn refuses an IP address as the
   * relying party ID, so passkey tests need a host name (the Worker still listens on 127.0.0.1 only).
   */
  localhost?: boolean;
}

export async function startApp(options: StartOptions = {}): Promise<E2eApp> {
  const withBrowser = options.browser !== false;
  if (!existsSync(path.join(ROOT, 'ui', 'dist', 'index.html'))) throw new Error('Build the UI first: npx vite build --config ui/vite.config.ts');
  if (withBrowser && !existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (npm test installs it), or set CHROMIUM_PATH.`);

  const workDir = mkdtempSync(path.join(tmpdir(), 'eid-e2e-'));
  const persistDir = path.join(workDir, 'state');
  // The run's migrated and seeded D1 (test/setup/e2e-seeded-database.ts), copied: this file's own fresh database.
  const seeded = inject('e2eSeededDatabase');
  cpSync(seeded.persistDir, persistDir, { recursive: true });
  const admin = { ...seeded.admin };
  const providers = options.providers ? await startProviderServer() : null;
  const vars: Record<string, string> = {
    SEED_ENCRYPTION_KEY: seeded.seedEncryptionKey,
    SESSION_KEY: randomBytes(32).toString('base64'),
    ...(providers ? { ALLOW_INSECURE_PROVIDER_URLS: 'true' } : {}),
    ...options.vars,
  };
  const env = E2E_WRANGLER_ENV;

  const port = await freePort();
  const varArgs = Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
  // `--env-file` pointing at an empty file: the developer's own .dev.vars must not leak into a test run.
  const envFile = path.join(workDir, 'empty.env');
  writeFileSync(envFile, '');
  const server = spawn(
    bin('wrangler'),
    ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persistDir, '--env-file', envFile, '--show-interactive-dev-session=false', '--log-level', 'warn', ...varArgs],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  const loopbackUrl = `http://127.0.0.1:${port}`;
  const url = options.localhost ? `http://localhost:${port}` : loopbackUrl;
  try {
    await waitForHealth(loopbackUrl, server, () => output);
  } catch (error) {
    await stopProcess(server);
    throw error;
  }

  const browser = withBrowser
    ? await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
          '--disable-dev-shm-usage',
          // localhost is served by the Worker on 127.0.0.1, whatever the machine's resolver says about ::1.
          ...(options.localhost ? [`--host-resolver-rules=MAP localhost 127.0.0.1`] : []),
        ],
      })
    : noBrowser();

  const app: E2eApp = {
    url,
    admin,
    providers: providers
      ? {
          url: providers.url,
          requests: async (scenario) => (await fetch(`${providers.url}/__scenario/${scenario}/requests`)).json() as Promise<ProviderRequest[]>,
        }
      : null,
    browser,
    newContext: () => browser.newContext({ baseURL: url, locale: 'en-US' }),
    async adminApi(method, apiPath, body) {
      const response = await fetch(`${loopbackUrl}/api/admin${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${admin.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${apiPath} -> ${response.status} ${await response.text()}`);
      return (response.status === 204 ? undefined : await response.json()) as any;
    },
    async useTwilio(scenario) {
      if (!providers) throw new Error('useTwilio needs startApp({ providers: true })');
      const settings = await app.adminApi('GET', '/messaging/settings');
      await app.adminApi('PUT', '/messaging/settings', {
        sms: { primary: { type: 'twilio', accountSid: E2E_TWILIO_SID, authToken: 'e2e-twilio-auth-token', from: '+15005550006', baseUrl: `${providers.url}/${scenario}` }, fallback: null },
        email: settings.email,
        templates: settings.templates,
      });
    },
    async smsCodes(scenario, phone, count) {
      const codes = async () =>
        (await app.providers!.requests(scenario))
          .map((request) => new URLSearchParams(request.body))
          .filter((form) => form.get('To') === phone)
          .map((form) => /\b(\d{6})\b/.exec(form.get('Body')!)![1]!);
      await expect.poll(async () => (await codes()).length).toBe(count);
      return codes();
    },
    async signInAsAdmin(page) {
      await page.goto('/login');
      await page.getByLabel('Login').fill(admin.login);
      await page.getByLabel('Password').fill(admin.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL('**/admin/**');
    },
    async stop() {
      await browser.close().catch(() => undefined);
      await stopProcess(server);
      await providers?.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  return app;
}

/** The app with the seeded admin signed in on a page of its own: how the admin-page test files begin. */
export async function startAdminPage(options: StartOptions = {}): Promise<{ app: E2eApp; page: Page }> {
  const app = await startApp(options);
  try {
    const page = await (await app.newContext()).newPage();
    await app.signInAsAdmin(page);
    return { app, page };
  } catch (error) {
    // The caller never receives this app, so its afterAll could not stop wrangler dev and the browser.
    await app.stop();
    throw error;
  }
}

/**
 * The codes of a freshly enrolled TOTP token (SHA-1, 6 digits, 30 s), each a step the server has not accepted yet,
 * handed out without waiting for the clock. The server accepts a new step up to TOTP_WINDOW_STEPS (1) beyond its
 * centre, the current step plus the drift it stored at the last accepted code, and stores the accepted step's drift:
 * so the step after the last one used is inside the window while at most one step boundary passed since that code
 * was made (the token reads as a clock running ahead, one step per code). After a longer pause the same drift is
 * carried over to the current step instead. Every code must be used (accepted) before the next is asked for.
 */
export function totpCodes(secret: Secret): () => string {
  const totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
  let last: { step: number; madeAtStep: number } | null = null;
  return () => {
    const now = Math.floor(Date.now() / 1000 / totp.period);
    const step = last ? last.step + Math.max(1, now - last.madeAtStep) : now;
    last = { step, madeAtStep: now };
    return totp.generate({ timestamp: step * totp.period * 1000 });
  };
}

/** What `addVirtualAuthenticator` sets up; the defaults are a platform passkey authenticator (Touch ID, Windows Hello). */
export interface VirtualAuthenticatorOptions {
  /** Whether the authenticator reports the user verified (fingerprint, PIN). */
  isUserVerified?: boolean;
}

/** A credential as Chromium's virtual authenticator holds it (CDP WebAuthn.Credential; binary fields base64). */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
  backupEligibility?: boolean;
  backupState?: boolean;
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  credentials(): Promise<VirtualCredential[]>;
  addCredential(credential: VirtualCredential): Promise<void>;
  removeAll(): Promise<void>;
  setUserVerified(isUserVerified: boolean): Promise<void>;
  remove(): Promise<void>;
}

/**
 * Gives `page` a virtual passkey authenticator through the DevTools protocol: CTAP2 over the internal (platform)
 * transport, with discoverable credentials and user verification, answering every prompt at once as if the user
 * touched it. Its credentials can be read (private key included) and planted, which is how tests clone one.
 */
export async function addVirtualAuthenticator(page: Page, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: options.isUserVerified ?? true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[],
    addCredential: async (credential) => void (await cdp.send('WebAuthn.addCredential', { authenticatorId, credential })),
    removeAll: async () => void (await cdp.send('WebAuthn.clearCredentials', { authenticatorId })),
    setUserVerified: async (isUserVerified) => void (await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified })),
    remove: async () => void (await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })),
  };
}

/** Stands in for the browser of an HTTP-only run: any use is a mistake in the test, said plainly. */
function noBrowser(): Browser {
  return new Proxy({} as Browser, {
    get: (_target, property) => {
      if (property === 'close') return async () => undefined;
      if (property === 'then') return undefined;
      throw new Error('startApp({ browser: false }) launched no browser');
    },
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${timeoutMs} ms:\n${output()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
