/**
 * `npm run bench -- verify-profile`: where a warm verify's CPU goes, beside the limit issue 14 measures it against
 * (verify at 0.8 or more of a Worker doing one conditional D1 UPDATE per request, bench/d1-write-probe.ts) and the
 * bare `/health`. Writes bench/results/verify-profile.md.
 *
 * The Worker (the `wrangler deploy --dry-run` bundle, as bench/otp.ts serves it) and the write probe run in ONE
 * Miniflare, so one workerd process holds both, their D1 databases and Miniflare's D1 Durable Object, and V8's
 * sampling profiler (bench/lib/inspector.ts) watches every isolate of it at once. After every user's first code
 * (the warm-up, as in bench/otp.ts: each measured verify then takes the warm path), each round sends each user's
 * next code, then as many probe requests, then as many `/health`, at the same concurrency, each workload under its
 * own profile. The report adds the rounds up per workload: per isolate the sampled CPU per request, and the
 * functions with the most self time in the Worker's isolate and in D1's.
 *
 * Usage: npx tsx bench/verify-profile.ts [--users 1000] [--rounds 3] [--concurrency 16] [--interval-us 100] [--top 15]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { VERIFY_ATTEMPTS_PER_USER } from '../worker/constants';
import { d1WriteProbeWorker, fillProbeTable } from './d1-write-probe';
import { runCrowd } from './lib/crowd';
import { busySamples, enableSampling, Inspector, profileAll, type CallFrame } from './lib/inspector';
import { applyMigrations } from './lib/seed';
import { RESOURCE_NAME, seedUsers } from './lib/verify-users';
import { REPO_ROOT, WORKERD_BINARY, bundleWorker, bundleWorkerOptions, freePort, type WorkerBundle } from './lib/worker';

const { values: cli } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    'interval-us': { type: 'string', default: '100' },
    top: { type: 'string', default: '15' },
  },
});
const USERS = Number(cli.users);
const ROUNDS = Number(cli.rounds);
const CONCURRENCY = Number(cli.concurrency);
const SAMPLING_INTERVAL_US = Number(cli['interval-us']);
const TOP_FUNCTIONS = Number(cli.top);
/** The probe's table, as bench/otp.ts fills it. */
const PROBE_ROWS = 1000;
/** The verify / probe throughput issue 14 asks for. */
const TARGET_RATIO = 0.8;

const WORK_DIR = join(REPO_ROOT, 'bench/.work/verify-profile');
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/verify-profile.md');

/** workerd's inspector names a Worker's isolate core:user:<worker name>; Miniflare's D1 object runs in d1:db. */
const WORKER_TARGET = 'core:user:main';
const PROBE_TARGET = 'core:user:probe';
const D1_TARGET = 'd1:db';
const TARGET_LABELS: Record<string, string> = {
  [WORKER_TARGET]: 'the Worker (the bundle)',
  [PROBE_TARGET]: 'the write probe Worker',
  [D1_TARGET]: "Miniflare's D1 Durable Object, SQLite in it",
  'd1:db:entry': "D1's entry worker (the binding's calls to the object)",
};

type WorkloadName = 'verify' | 'probe' | 'health';
const WORKLOADS: WorkloadName[] = ['verify', 'probe', 'health'];
const WORKLOAD_LABELS: Record<WorkloadName, string> = {
  verify: 'warm verify',
  probe: 'one-write probe',
  health: 'bare `/health`',
};

/** One workload's profiles over all rounds: per isolate its busy samples, in all and by function. */
interface WorkloadProfile {
  requests: number;
  wallMs: number;
  busy: Map<string, { count: number; byFunction: Map<string, number> }>;
}

async function main(): Promise<void> {
  if (ROUNDS + 1 > VERIFY_ATTEMPTS_PER_USER) throw new Error(`--rounds ${ROUNDS}: with the warm-up that is more codes per user than the rate limit's ${VERIFY_ATTEMPTS_PER_USER}`);
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const startedAt = new Date();
  const loadBefore = loadavg();

  log('bundling the Worker (wrangler deploy --dry-run)');
  const bundle = await bundleWorker(WORK_DIR);
  log('starting it and the write probe in one Miniflare, with the inspector');
  const seedKey = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
  const inspectorPort = await freePort();
  const mainPort = await freePort();
  const probePort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: await freePort(),
      inspectorPort,
      resourcePersistencePath: join(WORK_DIR, 'state'),
      workers: [
        {
          name: 'main',
          ...bundleWorkerOptions(bundle, { SEED_ENCRYPTION_KEY: seedKey, SESSION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'), PUBLIC_ORIGIN: '' }),
          unsafeDirectSockets: [{ host: '127.0.0.1', port: mainPort }],
        },
        { name: 'probe', ...d1WriteProbeWorker({ compatibilityDate: bundle.compatibilityDate, rows: PROBE_ROWS }), unsafeDirectSockets: [{ host: '127.0.0.1', port: probePort }] },
      ],
    }),
  );
  const profiles = new Map<WorkloadName, WorkloadProfile>(WORKLOADS.map((w) => [w, { requests: 0, wallMs: 0, busy: new Map() }]));
  /** Every isolate the inspector profiled. */
  const targets: string[] = [];
  try {
    await mf.ready;
    const url = (await mf.unsafeGetDirectURL('main')).toString().replace(/\/$/, '');
    const probeUrl = (await mf.unsafeGetDirectURL('probe')).toString().replace(/\/$/, '');
    const db = (await mf.getD1Database('DB', 'main')) as unknown as D1Database;
    await fillProbeTable((await mf.getD1Database('DB', 'probe')) as unknown as D1Database, PROBE_ROWS);
    log(`applying migrations and seeding ${USERS} users with HOTP hardware tokens`);
    await applyMigrations(db);
    const apiKey = `eid_bench${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`;
    const users = await seedUsers(db, seedKey, USERS, apiKey);

    /** Every user's code for `counter`, each answer read and required to be an acceptance. */
    const verifyAll = async (counter: number) => {
      const result = await runCrowd({ url: `${url}/api/v1/verify`, apiKey, resource: RESOURCE_NAME, users, codesPerUser: 1, concurrency: CONCURRENCY, firstCounter: counter });
      if (result.accepted !== result.requests) throw new Error(`the verify API refused codes it should accept: ${JSON.stringify(result.reasons)}`);
    };
    const probeAll = () => fetchMany(probeUrl, USERS, async (response) => ((await response.json()) as { ok?: boolean }).ok === true);
    const healthAll = () => fetchMany(`${url}/health`, USERS, async (response) => (await response.arrayBuffer(), response.ok));
    log("warm-up: every user's first code, as many probe and /health requests");
    await verifyAll(0);
    await probeAll();
    await healthAll();
    const runs: Record<WorkloadName, (round: number) => Promise<unknown>> = {
      // Round r sends every user's code r + 1: the warm-up sent code 0.
      verify: (round) => verifyAll(round + 1),
      probe: probeAll,
      health: healthAll,
    };

    const { sessions, refused } = await Inspector.connectAll(inspectorPort);
    for (const target of [WORKER_TARGET, PROBE_TARGET, D1_TARGET]) {
      if (!sessions.has(target)) throw new Error(`no inspector target ${target} (have ${[...sessions.keys()].join(', ')}; refused ${refused.join(', ')})`);
    }
    targets.push(...sessions.keys());
    await enableSampling(sessions, SAMPLING_INTERVAL_US);
    for (let round = 0; round < ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        const started = performance.now();
        const roundProfiles = await profileAll(sessions, () => runs[workload](round));
        const profile = profiles.get(workload)!;
        profile.wallMs += performance.now() - started;
        profile.requests += USERS;
        for (const [target, cpuProfile] of roundProfiles) addSamples(profile.busy, target, busySamples(cpuProfile, frameKey));
      }
      log(`  round ${round + 1}/${ROUNDS}: ${WORKLOADS.map((w) => `${w} ${msPerRequest(sumOfIsolates(profiles.get(w)!), profiles.get(w)!.requests).toFixed(3)} ms`).join(', ')} (all isolates, per request, so far)`);
    }
    for (const inspector of sessions.values()) inspector.close();
  } finally {
    await mf.dispose();
  }

  const report = writeReport({ startedAt, load: [loadBefore[0]!, loadavg()[0]!], bundle, profiles, targets });
  console.log('\n' + report);
  console.log(`\nwrote ${RESULTS_FILE}`);
}

/** `count` GETs of `url`, CONCURRENCY in flight from Node's fetch; each answer must pass `isRight`. */
async function fetchMany(url: string, count: number, isRight: (response: Response) => Promise<boolean>): Promise<void> {
  let next = 0;
  let wrong = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < count) if (!(await isRight(await fetch(url)))) wrong++;
    }),
  );
  if (wrong > 0) throw new Error(`${url}: ${wrong} of ${count} answers were wrong`);
}

/** A function's identity across profiles and isolates: its name, script and line (the same code in two isolates matches). */
function frameKey(frame: CallFrame): string {
  return JSON.stringify([frame.functionName, frame.url, frame.lineNumber]);
}

function frameOf(key: string): CallFrame {
  const [functionName, url, lineNumber] = JSON.parse(key) as [string, string, number];
  return { functionName, url, lineNumber };
}

function addSamples(into: WorkloadProfile['busy'], target: string, samples: { count: number; byFunction: Map<string, number> }): void {
  const total = into.get(target) ?? { count: 0, byFunction: new Map<string, number>() };
  total.count += samples.count;
  for (const [key, count] of samples.byFunction) total.byFunction.set(key, (total.byFunction.get(key) ?? 0) + count);
  into.set(target, total);
}

function sumOfIsolates(profile: WorkloadProfile): number {
  return [...profile.busy.values()].reduce((sum, b) => sum + b.count, 0);
}

/** Sampled CPU per request, ms: samples x the nominal interval, over the requests. */
function msPerRequest(samples: number, requests: number): number {
  return (samples * SAMPLING_INTERVAL_US) / 1000 / requests;
}

// ---------------------------------------------------------------- naming what the samples hit

/** The bundle's lines above its first module: esbuild's helpers (`__name`, `__export`, ...). */
const PREAMBLE = "esbuild's helpers (the bundle's preamble)";

/**
 * The bundle keeps function names but not files; esbuild starts each module it inlines with a `// <path>` comment.
 * The module of a 0-based bundle line is the last such comment above it.
 */
function bundleModules(bundle: WorkerBundle): (line: number) => string {
  const starts: Array<{ line: number; module: string }> = [];
  readFileSync(join(bundle.dir, bundle.mainModule), 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const match = /^\/\/ (?:\.\.\/)*((?:[\w@.-]+\/)+[\w@.-]+\.[cm]?[jt]sx?|node-built-in-modules:\S+)$/.exec(text);
      if (match) starts.push({ line, module: match[1]! });
    });
  return (line) => {
    let low = 0;
    let high = starts.length - 1;
    let found = PREAMBLE;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (starts[mid]!.line <= line) {
        found = starts[mid]!.module;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  };
}

/**
 * Where a function's code is: a source module for the bundle's, script:line (1-based) for the runtime's and
 * Miniflare's own scripts; `withLine: false` leaves the line out (the code a function belongs to).
 */
function sourceOf(frame: CallFrame, bundle: WorkerBundle, moduleAt: (line: number) => string, withLine = true): string {
  if (frame.functionName === '(program)') return 'V8 / workerd native code outside any function';
  if (frame.functionName === '(garbage collector)') return 'V8';
  if (frame.lineNumber < 0 || frame.url === '') return 'built-in (native)';
  const script = frame.url.split('/').pop()!;
  if (script === bundle.mainModule) {
    const module = moduleAt(frame.lineNumber);
    return module === PREAMBLE ? module : `\`${module}\``;
  }
  return withLine ? `${script}:${frame.lineNumber + 1}` : script;
}

// ---------------------------------------------------------------- report

interface ReportInput {
  startedAt: Date;
  load: [number, number];
  bundle: WorkerBundle;
  profiles: Map<WorkloadName, WorkloadProfile>;
  targets: string[];
}

function writeReport(input: ReportInput): string {
  const fmt = (ms: number) => ms.toFixed(3);
  const moduleAt = bundleModules(input.bundle);
  const workload = (name: WorkloadName) => input.profiles.get(name)!;
  const perRequest = (name: WorkloadName, target: string, key?: string) => {
    const busy = workload(name).busy.get(target);
    const samples = key === undefined ? (busy?.count ?? 0) : (busy?.byFunction.get(key) ?? 0);
    return msPerRequest(samples, workload(name).requests);
  };
  const sums = Object.fromEntries(WORKLOADS.map((w) => [w, msPerRequest(sumOfIsolates(workload(w)), workload(w).requests)])) as Record<WorkloadName, number>;
  // An isolate below a microsecond per request in every workload (Miniflare's caches, outbound, email) gets no row.
  const isShown = (t: string) => WORKLOADS.some((w) => Number(fmt(perRequest(w, t))) > 0);
  const sampledTargets = input.targets.filter(isShown);
  const barelySampled = input.targets.filter((t) => !isShown(t) && WORKLOADS.some((w) => (workload(w).busy.get(t)?.count ?? 0) > 0));
  const requests = workload('verify').requests;

  const isolateTable = [
    `| Isolate | ${WORKLOADS.map((w) => `${WORKLOAD_LABELS[w]} (ms / request)`).join(' | ')} |`,
    `| --- | ${WORKLOADS.map(() => '---:').join(' | ')} |`,
    ...sampledTargets.map((t) => `| \`${t}\`: ${TARGET_LABELS[t] ?? 'Miniflare internal'} | ${WORKLOADS.map((w) => fmt(perRequest(w, t))).join(' | ')} |`),
    ...(barelySampled.length > 0 ? [`| below 0.001 in every workload: ${barelySampled.map((t) => `\`${t}\``).join(', ')} | ${WORKLOADS.map(() => '').join(' | ')} |`] : []),
    `| **sum of the isolates** | ${WORKLOADS.map((w) => `**${fmt(sums[w])}**`).join(' | ')} |`,
    `| requests / s under the profiler (wall time) | ${WORKLOADS.map((w) => Math.round(workload(w).requests / (workload(w).wallMs / 1000)).toLocaleString('en-US')).join(' | ')} |`,
  ].join('\n');
  const ratio = sums.verify / sums.probe;
  // At the target, the verify's thread time per request may be probe / TARGET_RATIO; what lies above that has to go.
  const budget = sums.probe / TARGET_RATIO;

  const topKeys = (target: string) =>
    [...(workload('verify').busy.get(target)?.byFunction ?? new Map<string, number>())]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_FUNCTIONS)
      .map(([key]) => key);
  const nameOf = (key: string) => `\`${frameOf(key).functionName || '(anonymous)'}\``;
  const restOf = (name: WorkloadName, target: string, keys: string[]) => perRequest(name, target) - keys.reduce((sum, key) => sum + perRequest(name, target, key), 0);

  const workerKeys = topKeys(WORKER_TARGET);
  const workerTotal = perRequest('verify', WORKER_TARGET);
  const workerTable = [
    '| Function | Code | verify (ms / request) | of the isolate | `/health`, same function | probe Worker, same function |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...workerKeys.map((key) => {
      const verifyMs = perRequest('verify', WORKER_TARGET, key);
      return `| ${nameOf(key)} | ${sourceOf(frameOf(key), input.bundle, moduleAt)} | ${fmt(verifyMs)} | ${Math.round((100 * verifyMs) / workerTotal)} % | ${fmt(perRequest('health', WORKER_TARGET, key))} | ${fmt(perRequest('probe', PROBE_TARGET, key))} |`;
    }),
    `| all other functions | | ${fmt(restOf('verify', WORKER_TARGET, workerKeys))} | ${Math.round((100 * restOf('verify', WORKER_TARGET, workerKeys)) / workerTotal)} % | ${fmt(restOf('health', WORKER_TARGET, workerKeys))} | |`,
    `| **the isolate** | | **${fmt(workerTotal)}** | 100 % | **${fmt(perRequest('health', WORKER_TARGET))}** | **${fmt(perRequest('probe', PROBE_TARGET))}** |`,
  ].join('\n');

  // The same samples by the code they ran in: the Worker's functions spread thin, its modules less so.
  const byCode = (name: WorkloadName) => {
    const totals = new Map<string, number>();
    for (const [key, count] of workload(name).busy.get(WORKER_TARGET)?.byFunction ?? []) {
      const code = sourceOf(frameOf(key), input.bundle, moduleAt, false);
      totals.set(code, (totals.get(code) ?? 0) + count);
    }
    return totals;
  };
  const verifyByCode = byCode('verify');
  const healthByCode = byCode('health');
  const topCodes = [...verifyByCode].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS);
  const codeTable = [
    '| Code | verify (ms / request) | of the isolate | `/health` (ms / request) |',
    '| --- | ---: | ---: | ---: |',
    ...topCodes.map(([code, count]) => {
      const verifyMs = msPerRequest(count, requests);
      return `| ${code} | ${fmt(verifyMs)} | ${Math.round((100 * verifyMs) / workerTotal)} % | ${fmt(msPerRequest(healthByCode.get(code) ?? 0, workload('health').requests))} |`;
    }),
    `| all other code | ${fmt(workerTotal - topCodes.reduce((sum, [, count]) => sum + msPerRequest(count, requests), 0))} | | |`,
  ].join('\n');

  const d1Keys = topKeys(D1_TARGET);
  const signed = (ms: number) => (Number(fmt(ms)) === 0 ? fmt(0) : `${ms > 0 ? '+' : '−'}${fmt(Math.abs(ms))}`);
  const d1Row = (label: string, code: string, verifyMs: number, probeMs: number) => `| ${label} | ${code} | ${fmt(verifyMs)} | ${fmt(probeMs)} | ${signed(verifyMs - probeMs)} |`;
  const d1Table = [
    '| Function | Code | verify (ms / request) | probe (ms / request) | verify − probe |',
    '| --- | --- | ---: | ---: | ---: |',
    ...d1Keys.map((key) => d1Row(nameOf(key), sourceOf(frameOf(key), input.bundle, moduleAt), perRequest('verify', D1_TARGET, key), perRequest('probe', D1_TARGET, key))),
    d1Row('all other functions', '', restOf('verify', D1_TARGET, d1Keys), restOf('probe', D1_TARGET, d1Keys)),
    d1Row('**the isolate**', '', perRequest('verify', D1_TARGET), perRequest('probe', D1_TARGET)),
  ].join('\n');

  const workerdVersion = (() => {
    try {
      return execFileSync(WORKERD_BINARY, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'workerd (version unknown)';
    }
  })();
  const miniflareVersion = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/miniflare/package.json'), 'utf8')).version as string;

  const markdown = `# Where a warm verify's CPU goes, beside the one-write probe

Written by \`npm run bench -- verify-profile\` (\`bench/verify-profile.ts\`) on ${input.startedAt.toISOString()} with Node
${process.version}, ${workerdVersion}, Miniflare ${miniflareVersion}; 1-minute load average ${input.load[0].toFixed(1)} at the start and
${input.load[1].toFixed(1)} at the end (2 cores shared with other work).

Issue 14 asks the verify API for at least ${TARGET_RATIO} of the throughput of a Worker that does one conditional D1 UPDATE
per request (the write probe, \`bench/d1-write-probe.ts\`); \`bench/results/otp.md\` has the throughput. This file has
where the CPU of the requests goes: ${requests.toLocaleString('en-US')} warm verifies (${USERS.toLocaleString('en-US')} users, each its next HOTP code,
every one accepted), ${requests.toLocaleString('en-US')} probe requests and ${requests.toLocaleString('en-US')} bare \`/health\`, ${CONCURRENCY} in flight, in ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}
of the three (a drifting load falls on all three alike); V8's sampling profiler at ${SAMPLING_INTERVAL_US} µs on every isolate of
the one workerd process that serves the Worker, the probe and their D1.

## Per isolate

${isolateTable}

**Sum of the isolates, verify / probe: ${ratio.toFixed(2)}.** workerd runs every isolate of the process on one
thread, so when that thread is what limits throughput, throughput goes as the inverse of its time per request: the
verify reaches ${TARGET_RATIO} of the probe's throughput with at most ${fmt(budget)} ms of isolate time per request (the
probe's ${fmt(sums.probe)} / ${TARGET_RATIO}; ${sums.verify > budget ? `this run's ${fmt(sums.verify)} is ${fmt(sums.verify - budget)} ms over it` : `this run's ${fmt(sums.verify)} is within it`}). That bound is on the safe side:
the thread's work outside the isolates, if the same for both, widens the allowance by a quarter of itself.

## The Worker's isolate during the verify (\`${WORKER_TARGET}\`), top ${TOP_FUNCTIONS} by self time

${workerTable}

The bundle keeps function names; **Code** is the source module esbuild inlined the function from (the last
\`// <path>\` comment above its line in the bundle). Functions without a script are the runtime's own (\`fetch\`,
\`Response\`, \`json\`: workerd's C++ behind the Workers API; \`(program)\`: native code outside any JavaScript
function; \`(garbage collector)\`). The two right-hand columns are the same function (same script and line) in the
Worker's isolate during \`/health\` and in the probe Worker's during the probe: the runtime's functions match across
Workers, the bundle's only between verify and \`/health\`.

The same samples by the code they ran in (top ${TOP_FUNCTIONS}), and \`/health\`'s beside them (routing, middleware and
response for no work):

${codeTable}

## D1's isolate during the verify (\`${D1_TARGET}\`), top ${TOP_FUNCTIONS} by self time, the probe beside it

${d1Table}

D1 here is Miniflare's D1 Durable Object (\`database.worker.js\`, its \`#query\` running one statement through the
object's SQLite); the same object code serves the probe's database, so each row is the same function for the
verify's statement and the probe's UPDATE, and **verify − probe** is what the verify's SQL costs more there.
SQLite's own work (parsing, planning, running the statement and its triggers) is native code that V8 counts in
the JavaScript frame calling it, chiefly \`#query\`: while the verify's SQL text changed every millisecond (SQLite
parsed and planned it afresh each time, until the API key condition bound the clock as a parameter), \`#query\` is
where the extra time showed. Rows without a script are the runtime's own functions, as above.

## What these figures are, and their limits

- **Sampled CPU per request**: an isolate's busy samples (every sample that is not idle) times the nominal
  ${SAMPLING_INTERVAL_US} µs, over the requests of the workload. V8 samples an isolate only while it is entered: its
  JavaScript and the native work it calls, never while it waits for another isolate or for I/O.
- **Sampling on a shared machine**: a loaded machine makes the sampler miss ticks, so the absolute milliseconds
  undercount (bench/cpu.ts measured up to several times on a busy machine) and move from run to run. The ratios
  within one run compare: the three workloads were sampled the same way, round by round, side by side.
- **What no isolate does is not here**: sockets and HTTP parsing in workerd, the calls between the isolates
  (Worker to D1's entry worker to the object), the load generator (Node's fetch, on the same 2 cores). Those are
  part of each request's cost and of the throughput; they are roughly one request's worth for each workload, but
  the verify's request carries a JSON body and an API key.
- The profiler itself slows what it watches: the wall time row is the workloads' own under profiling, for
  comparison between them only; \`bench/results/otp.md\` has the throughput unprofiled.
- The Worker is the bundle \`wrangler deploy --dry-run\` produces (${(input.bundle.bundleBytes / 1024).toFixed(0)} KiB), served as \`bench/otp.ts\` serves it, on
  Miniflare's direct sockets; D1 is local and on disk, compatibility date ${input.bundle.compatibilityDate}. Warm path only: every
  user's first code (its cold verify) was sent before the profiles.
`;
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(RESULTS_FILE, markdown);
  return [isolateTable, '', `sum of the isolates, verify / probe: ${ratio.toFixed(2)}`].join('\n');
}

function log(message: string): void {
  console.log(`[verify-profile] ${message}`);
}

main().catch((error) => {
  console.error(`[verify-profile] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exit(1);
});
