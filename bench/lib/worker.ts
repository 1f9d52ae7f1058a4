/**
 * The Worker as production runs it: the bundle `wrangler deploy` would upload, served by workerd directly, without
 * `wrangler dev`'s development proxy in front (DESIGN.md §8).
 *
 * Two ways to serve it:
 * - `startMiniflareWorker`: Miniflare's API starts workerd itself, with a real local D1 (SQLite on disk) behind the
 *   `DB` binding. Requests pass Miniflare's small entry worker inside the same workerd process, no Node hop.
 * - `startPlainWorkerd`: `workerd serve` with a generated config and no D1 (plain workerd has no D1 binding of its
 *   own; Miniflare provides it as a wrapped binding over its own D1 worker), for the bare endpoint only. It measures
 *   what Miniflare's entry worker costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { run } from './wrk';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const workerdPackage = createRequire(import.meta.url)('workerd') as {
  default: string;
  compatibilityDate: string;
  version: string;
};
/** The workerd binary Miniflare itself runs (the `workerd` package's main module exports its path). */
export const WORKERD_BINARY = workerdPackage.default;
/** The newest compatibility date this workerd supports. */
export const WORKERD_COMPATIBILITY_DATE = workerdPackage.compatibilityDate;

export interface WorkerBundle {
  dir: string;
  mainModule: string;
  compatibilityDate: string;
  /** The date wrangler.toml asks for, when workerd here is older than it and the date had to be clamped. */
  requestedCompatibilityDate: string;
  compatibilityFlags: string[];
  bundleBytes: number;
}

/**
 * Bundles worker/index.ts with `wrangler deploy --dry-run`, the same build step `npm run deploy` uses.
 * `entry` bundles another module the same way (a bench-only Worker that imports production code).
 */
export async function bundleWorker(workDir: string, options: { entry?: string } = {}): Promise<WorkerBundle> {
  const toml = readFileSync(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const requestedDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flagsText = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? '';
  const compatibilityFlags = [...flagsText.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  if (!requestedDate) throw new Error('wrangler.toml has no compatibility_date');
  // A config of our own: the same entry, date and flags, without [assets] (the UI build is not needed to serve
  // the API, and the bench must not depend on it).
  const outDir = join(workDir, 'bundle');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const configPath = join(workDir, 'wrangler.bench.toml');
  writeFileSync(
    configPath,
    [
      'name = "edge-identity-bench"',
      `main = ${JSON.stringify(resolve(REPO_ROOT, options.entry ?? 'worker/index.ts'))}`,
      `compatibility_date = "${requestedDate}"`,
      `compatibility_flags = ${JSON.stringify(compatibilityFlags)}`,
      '',
    ].join('\n'),
  );
  const { code, stdout, stderr } = await run('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', outDir, '--config', configPath], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  if (code !== 0) throw new Error(`The Worker does not bundle (wrangler deploy --dry-run exit ${code}):\n${tail(stdout + stderr, 40)}`);
  const files = readdirSync(outDir);
  const mainModule = files.find((f) => f === 'index.js') ?? files.find((f) => f.endsWith('.js'));
  if (!mainModule) throw new Error(`wrangler wrote no module into ${outDir}`);
  const compatibilityDate = requestedDate > WORKERD_COMPATIBILITY_DATE ? WORKERD_COMPATIBILITY_DATE : requestedDate;
  return {
    dir: outDir,
    mainModule,
    compatibilityDate,
    requestedCompatibilityDate: requestedDate,
    compatibilityFlags,
    bundleBytes: readFileSync(join(outDir, mainModule)).length,
  };
}

export interface ServedWorker {
  url: string;
  stop(): Promise<void>;
}

export interface MiniflareWorker extends ServedWorker {
  /** Miniflare's usual socket: requests pass its entry worker (routing, error pages) before ours. */
  entryUrl: string;
  db: D1Database;
}

/**
 * The bundle's own Miniflare options (v4 shape), as startMiniflareWorker serves it: its D1 binding `DB`, wrangler.toml's
 * durable_objects as `wrangler dev` and the tests run them (the verify state objects, SQLite), and `bindings`.
 */
export function bundleWorkerOptions(bundle: WorkerBundle, bindings: Record<string, string>) {
  return {
    modules: true,
    scriptPath: join(bundle.dir, bundle.mainModule),
    modulesRoot: bundle.dir,
    compatibilityDate: bundle.compatibilityDate,
    compatibilityFlags: bundle.compatibilityFlags,
    d1Databases: { DB: 'edge-identity-bench' },
    durableObjects: { VERIFY_STATE_OBJECT: { className: 'VerifyStateObject', useSQLite: true } },
    bindings,
    // Static assets are only fetched for browser page loads, which the benchmark does not make.
    serviceBindings: {
      ASSETS: () => new Response('no assets in the benchmark', { status: 404 }),
    },
  };
}

export async function startMiniflareWorker(
  bundle: WorkerBundle,
  options: { persistDir: string; bindings: Record<string, string> },
): Promise<MiniflareWorker> {
  const port = await freePort();
  const directPort = await freePort();
  // Miniflare 5 takes per-worker config objects; the v4 option shape, converted, says the same in fewer lines.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port,
      resourcePersistencePath: options.persistDir,
      // `url` below: a socket straight to the Worker, as `workerd serve` would have, without the entry worker.
      unsafeDirectSockets: [{ host: '127.0.0.1', port: directPort }],
      ...bundleWorkerOptions(bundle, options.bindings),
    }),
  );
  const entryUrl = (await mf.ready).toString().replace(/\/$/, '');
  const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, '');
  const db = (await mf.getD1Database('DB')) as unknown as D1Database;
  return { url, entryUrl, db, stop: () => mf.dispose() };
}

export async function startPlainWorkerd(
  bundle: WorkerBundle,
  options: { workDir: string; bindings: Record<string, string> },
): Promise<ServedWorker> {
  const port = await freePort();
  const bindings = Object.entries(options.bindings)
    .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
    .join(', ');
  const modules = readdirSync(bundle.dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .sort((a, b) => (a === bundle.mainModule ? -1 : b === bundle.mainModule ? 1 : a.localeCompare(b)))
    .map((f) => `(name = ${JSON.stringify(f)}, esModule = embed ${JSON.stringify(relative(options.workDir, join(bundle.dir, f)))})`)
    .join(', ');
  // capnp resolves `embed` paths against the config file's folder.
  const configPath = join(options.workDir, 'workerd.capnp');
  // `cloudflare:email` (the Email Workers binding) is backed by an internal module that Miniflare, not workerd,
  // supplies; we supply Miniflare's own. The benchmark sends no email.
  const emailModule = join(dirname(createRequire(import.meta.url).resolve('miniflare')), 'workers/email/email.worker.js');
  writeFileSync(
    configPath,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  extensions = .extensions,
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${modules} ],
  compatibilityDate = "${bundle.compatibilityDate}",
  compatibilityFlags = ${JSON.stringify(bundle.compatibilityFlags)},
  bindings = [ ${bindings} ],
);
const extensions :List(Workerd.Extension) = [
  ( modules = [ (name = "cloudflare-internal:email", esModule = embed ${JSON.stringify(relative(options.workDir, emailModule))}, internal = true) ] ),
];
`,
  );
  const child = spawn(WORKERD_BINARY, ['serve', configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, child, () => stderr);
  return { url, stop: () => stopChild(child) };
}

export async function waitForHttp(url: string, child: ChildProcess | null, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${tail(output(), 30)}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${tail(output(), 30)}`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * A probe Worker on the same Miniflare + D1 setup that does nothing but `GET /?n=N`: N sequential D1 point
 * SELECTs, then a tiny JSON answer. It prices one D1 round trip on this machine, the floor under any endpoint
 * that touches D1.
 */
export async function startD1Probe(options: { persistDir: string; compatibilityDate: string; rows: number }): Promise<ServedWorker> {
  const directPort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: await freePort(),
      resourcePersistencePath: options.persistDir,
      unsafeDirectSockets: [{ host: '127.0.0.1', port: directPort }],
      modules: true,
      compatibilityDate: options.compatibilityDate,
      d1Databases: { DB: 'd1-probe' },
      script: `export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get('n') ?? 0);
    let found = 0;
    for (let i = 0; i < n; i++) {
      const row = await env.DB.prepare('SELECT v FROM probe WHERE k = ?').bind('k' + Math.floor(Math.random() * ${options.rows})).first();
      if (row) found++;
    }
    return Response.json({ ok: found === n });
  },
};`,
    }),
  );
  await mf.ready;
  const db = (await mf.getD1Database('DB')) as unknown as D1Database;
  await db.batch([db.prepare('DROP TABLE IF EXISTS probe'), db.prepare('CREATE TABLE probe (k TEXT PRIMARY KEY, v INTEGER NOT NULL)')]);
  const inserts = Array.from({ length: options.rows }, (_, i) => db.prepare('INSERT INTO probe (k, v) VALUES (?, ?)').bind(`k${i}`, i));
  for (let i = 0; i < inserts.length; i += 500) await db.batch(inserts.slice(i, i + 500));
  const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, '');
  return { url, stop: () => mf.dispose() };
}
