/**
 * OTP verify benchmark: `POST /api/v1/verify` of the Worker running in workerd as in production, in the same run
 * as (a) the Worker's bare `/health`, (b) the limit: a probe Worker on the same Miniflare + on-disk D1 setup doing
 * one conditional D1 write per request (bench/d1-write-probe.ts), and (c) FreeRADIUS with rlm_totp verifying TOTP
 * on loopback. Bare, verify and probe run side by side in ROUNDS rounds; the report gives their medians.
 * Writes bench/results/otp.md.
 *
 * Load design: the verify API accepts every code once and rate limits each (login, resource), so the requests are
 * real successes only if every one carries a fresh code and no user exceeds the limit. U users each own an HOTP
 * hardware token on one resource; request j is for user j % U with that user's code for counter floor(j / U):
 * each user's codes arrive in increasing order, U requests apart. U is sized from the write probe's throughput (the
 * verify's ceiling) so no user gets more than VERIFY_ATTEMPTS_PER_USER requests in the run (warm-up included), and
 * the warm-up sends every user's first code exactly once, so the measured rounds see the steady state of an isolate
 * that serves these users: the verify API's warm path (worker/verify-api/warm-path.ts). Each design (D1, object
 * mode) is one VerifyDesign, seeded, warmed up and measured by the same functions.
 *
 * Usage: npx tsx bench/otp.ts [--duration 10] [--connections 32] [--threads 1] [--strict]
 *   --strict: exit 1 when a target is missed (the default reports it and exits 0: the numbers are what they are).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS } from '../worker/constants';
import { freeUdpPort, runRadclient, startFreeRadius, writeFreeRadiusConfig, type RadclientResult } from './lib/freeradius';
import { bytesToBase32 } from '../worker/lib/encoding';
import { generateHotpCode, generateTotpCode } from './lib/hotp';
import { percentile, runRadiusLoad, type RadiusLoadResult } from './lib/radius-client';
import { applyMigrations } from './lib/seed';
import { ensureDebianTools } from './lib/system-deps';
import { startD1WriteProbe } from './d1-write-probe';
import {
  REPO_ROOT,
  WORKERD_BINARY,
  bundleWorker,
  startD1Probe,
  startMiniflareWorker,
  startPlainWorkerd,
  type WorkerBundle,
} from './lib/worker';
import { runWrk, type LoadResult } from './lib/wrk';
import { runCrowd, type CrowdResult } from './lib/crowd';
import { RESOURCE_NAME, countersAfter, seedUsers, verifyBodies, type BenchUser } from './lib/verify-users';

const { values: cli } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    strict: { type: 'boolean', default: false },
  },
});
const DURATION_SECONDS = Number(cli.duration);
const CONNECTIONS = Number(cli.connections);
const THREADS = Number(cli.threads);
const WARMUP_SECONDS = 2;
/** Rounds of bare, verify and write probe side by side: the report gives medians (the machine is shared). */
const ROUNDS = 3;
/** Codes per user in the warm-up and in each round's file: together below the per-user rate limit. */
const WARMUP_CODES_PER_USER = 1;
const CODES_PER_ROUND = Math.floor((VERIFY_ATTEMPTS_PER_USER - WARMUP_CODES_PER_USER - 1) / ROUNDS);
const MIN_USERS = 500;
/** Users for this many times the requests the write probe's rate would send: the verify stays below the probe. */
const SIZING_MARGIN = 1.5;
const RADIUS_SECRET = 'bench-radius-secret';
const TOTP_PERIOD_SECONDS = 30;
const RADCLIENT_FILE_USERS = 250;
const D1_PROBE_STATEMENTS = [1, 8] as const;
/** Users outside the load for the sequential check of the two paths: each one's first code is a cold verify. */
const SEQUENTIAL_COLD_USERS = 15;
/** Successive codes of one user, one request at a time: warm verifies. */
const SEQUENTIAL_WARM_CODES = 20;
/** "Many concurrent users", per design: this many users outside the load, each verifying CROWD_CODES codes, CROWD_CONCURRENCY in flight. */
const CROWD_USERS = 200;
const CROWD_CODES = 5;
const CROWD_CONCURRENCY = 64;

const WORK_DIR = join(REPO_ROOT, 'bench/.work/otp');
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/otp.md');

async function main(): Promise<void> {
  ensureDebianTools({
    wrk: 'wrk',
    freeradius: 'freeradius',
    '/usr/lib/freeradius/rlm_totp.so': 'freeradius',
    radclient: 'freeradius-utils',
  });
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const startedAt = new Date();

  log('bundling the Worker (wrangler deploy --dry-run)');
  const bundle = await bundleWorker(WORK_DIR);
  const bindings = {
    SEED_ENCRYPTION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'),
    SESSION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'),
    PUBLIC_ORIGIN: '',
  };
  const wrkBase = { threads: THREADS, connections: CONNECTIONS };

  // (1) the bare endpoint, served two ways.
  log('bare /health on plain `workerd serve`');
  const plain = await startPlainWorkerd(bundle, { workDir: WORK_DIR, bindings });
  let barePlain: LoadResult;
  try {
    await runWrk({ ...wrkBase, url: `${plain.url}/health`, durationSeconds: WARMUP_SECONDS });
    barePlain = await runWrk({ ...wrkBase, url: `${plain.url}/health`, durationSeconds: DURATION_SECONDS });
  } finally {
    await plain.stop();
  }
  log(`  ${fmtRate(barePlain.requestsPerSecond)} req/s`);

  log('starting the Worker with Miniflare (workerd + local D1), and the D1 write probe on the same setup');
  const worker = await startMiniflareWorker(bundle, { persistDir: join(WORK_DIR, 'd1'), bindings });
  const writeProbe = await startD1WriteProbe({ persistDir: join(WORK_DIR, 'd1-write-probe'), compatibilityDate: bundle.compatibilityDate, rows: 1000 });
  // The same Worker with the hot verification state in the per-user Durable Objects (worker/verify-state), its own D1.
  const objectWorker = await startMiniflareWorker(bundle, { persistDir: join(WORK_DIR, 'd1-object'), bindings: { ...bindings, VERIFY_STATE: 'durable-object' } });
  let bareEntry: LoadResult;
  const rounds: Round[] = [];
  let userCount: number;
  let users: BenchUser[];
  let replayAnswer: VerifyAnswer;
  let wrongAnswer: VerifyAnswer;
  let sequential: Sequential;
  const crowd: { d1?: CrowdResult; object?: CrowdResult } = {};
  const loadBefore = loadavg();
  try {
    log('bare /health on the Miniflare entry socket (through its entry worker)');
    await runWrk({ ...wrkBase, url: `${worker.entryUrl}/health`, durationSeconds: WARMUP_SECONDS });
    bareEntry = await runWrk({ ...wrkBase, url: `${worker.entryUrl}/health`, durationSeconds: DURATION_SECONDS });
    log(`  ${fmtRate(bareEntry.requestsPerSecond)} req/s`);

    const probeWarmup = await runWrk({ ...wrkBase, url: writeProbe.url, durationSeconds: WARMUP_SECONDS });
    // Enough users that even at the write probe's rate nobody reaches the per-user limit in a round.
    userCount = Math.max(MIN_USERS, Math.ceil((probeWarmup.requestsPerSecond * DURATION_SECONDS * SIZING_MARGIN) / CODES_PER_ROUND));
    log(`applying migrations and seeding ${userCount} users with HOTP hardware tokens, in each design's D1`);
    const apiKey = `eid_bench${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')}`;
    const d1 = await seedDesign('d1', worker, bindings.SEED_ENCRYPTION_KEY, apiKey, userCount, SEQUENTIAL_COLD_USERS + 1);
    const object = await seedDesign('object', objectWorker, bindings.SEED_ENCRYPTION_KEY, apiKey, userCount, 0);
    users = d1.users;
    const sanityUser = d1.sanityUser;
    const objectSanityUser = object.sanityUser;

    // Every user's first code before the rounds: each round then measures an isolate that has verified its users
    // (the D1 mode's warm copies; the object mode's objects created and initialised from D1, rule 7).
    for (const design of [d1, object]) {
      const warmup = await warmUp(design, apiKey);
      log(`POST /api/v1/verify warm-up, ${design.name}: ${warmup.accepted}/${warmup.requests} accepted in ${(warmup.durationMs / 1000).toFixed(1)} s`);
    }
    await runWrk({ ...wrkBase, url: `${worker.url}/health`, durationSeconds: WARMUP_SECONDS });

    for (let round = 0; round < ROUNDS; round++) {
      const bare = await runWrk({ ...wrkBase, url: `${worker.url}/health`, durationSeconds: DURATION_SECONDS });
      const verifyObject = await measureVerifyRound(object, round, apiKey);
      // The probe right before and right after the D1-mode verify, their mean its round's probe: the load of a
      // shared machine drifts within seconds, and a verify compared with one probe run at its side measured the
      // drift as much as the verify (one run's rounds read 0.55 and 1.01).
      const probeBefore = await runWrk({ ...wrkBase, url: writeProbe.url, durationSeconds: DURATION_SECONDS });
      const verify = await measureVerifyRound(d1, round, apiKey);
      const probeAfter = await runWrk({ ...wrkBase, url: writeProbe.url, durationSeconds: DURATION_SECONDS });
      const probe = medianResult([probeBefore, probeAfter]);
      rounds.push({ bare, verify, verifyObject, probe });
      log(
        `  round ${round + 1}: bare ${fmtRate(bare.requestsPerSecond)}, verify ${describeVerify(verify)}, verify object mode ${describeVerify(verifyObject)}, write probe ${fmtRate(probe.requestsPerSecond)} req/s`,
      );
    }
    // A benchmark of a verify that accepts anything would be worthless. A user outside the request files: its first
    // code is accepted once, refused as a replay the second time, and a wrong code is refused as invalid.
    const sanityBody = (otp: string) => JSON.stringify({ login: sanityUser.login, resource: RESOURCE_NAME, otp });
    const firstAnswer = await postJson(`${worker.url}/api/v1/verify`, apiKey, sanityBody(generateHotpCode(sanityUser.seed, 0)));
    replayAnswer = await postJson(`${worker.url}/api/v1/verify`, apiKey, sanityBody(generateHotpCode(sanityUser.seed, 0)));
    const wrongCode = [0, 1, 2, 3].map((n) => String(n).repeat(6)).find((c) => c !== generateHotpCode(sanityUser.seed, 1))!;
    wrongAnswer = await postJson(`${worker.url}/api/v1/verify`, apiKey, sanityBody(wrongCode));
    if (firstAnswer.accepted !== true || replayAnswer.accepted !== false || wrongAnswer.accepted !== false) {
      throw new Error(`the verify API's answers are wrong: ${JSON.stringify({ firstAnswer, replayAnswer, wrongAnswer })}`);
    }
    log(`  replayed code: ${replayAnswer.reason}; wrong code: ${wrongAnswer.reason}`);
    const objectSanity = (otp: string) => postJson(`${objectWorker.url}/api/v1/verify`, apiKey, JSON.stringify({ login: objectSanityUser.login, resource: RESOURCE_NAME, otp }));
    const objectFirst = await objectSanity(generateHotpCode(objectSanityUser.seed, 0));
    const objectReplay = await objectSanity(generateHotpCode(objectSanityUser.seed, 0));
    if (objectFirst.accepted !== true || objectReplay.accepted !== false) {
      throw new Error(`the object-mode verify API's answers are wrong: ${JSON.stringify({ objectFirst, objectReplay })}`);
    }
    log(`  object mode: replayed code: ${objectReplay.reason}`);
    log(`many concurrent users: ${CROWD_USERS} users x ${CROWD_CODES} codes, ${CROWD_CONCURRENCY} in flight, each design`);
    const crowdRun = (url: string, crowdOf: BenchUser[]) =>
      runCrowd({ url: `${url}/api/v1/verify`, apiKey, resource: RESOURCE_NAME, users: crowdOf, codesPerUser: CROWD_CODES, concurrency: CROWD_CONCURRENCY });
    crowd.d1 = await crowdRun(worker.url, d1.crowdUsers);
    crowd.object = await crowdRun(objectWorker.url, object.crowdUsers);
    for (const [mode, result] of Object.entries(crowd)) {
      log(`  ${mode}: ${fmtRate(result.requestsPerSecond)} req/s, accepted ${result.accepted}/${result.requests} ${JSON.stringify(result.reasons)}`);
    }
    sequential = await measureSequential(worker.url, apiKey, d1.sequentialUsers);
    log(`  one request at a time: bare ${sequential.bareMs.toFixed(2)} ms, verify cold ${sequential.coldMs.toFixed(2)} ms, warm ${sequential.warmMs.toFixed(2)} ms (medians)`);
  } finally {
    await writeProbe.stop();
    await worker.stop();
    await objectWorker.stop();
  }
  const loadAfter = loadavg();

  // What one D1 round trip costs here: the floor under the verify API's sequential statements.
  log('D1 probe: 1 and 8 sequential point SELECTs per request');
  const probe = await startD1Probe({ persistDir: join(WORK_DIR, 'd1-probe'), compatibilityDate: bundle.compatibilityDate, rows: 1000 });
  const probes: Record<number, LoadResult> = {};
  try {
    for (const n of D1_PROBE_STATEMENTS) {
      await runWrk({ ...wrkBase, url: `${probe.url}/?n=${n}`, durationSeconds: WARMUP_SECONDS });
      probes[n] = await runWrk({ ...wrkBase, url: `${probe.url}/?n=${n}`, durationSeconds: DURATION_SECONDS });
      log(`  ${n} SELECT(s): ${fmtRate(probes[n]!.requestsPerSecond)} req/s`);
    }
  } finally {
    await probe.stop();
  }

  // (3) FreeRADIUS with rlm_totp: the same users, each with a TOTP secret, each request a valid current code.
  log('FreeRADIUS rlm_totp with radclient');
  const radius = await benchFreeRadius(users);
  log(
    `  radclient ${fmtRate(radius.radclient.requestsPerSecond)} req/s, accepted ${radius.radclient.accepted}/${radius.radclient.requests}`,
  );
  log(
    `  Node client ${fmtRate(radius.latency.requests / (radius.latency.durationMs / 1000))} req/s, accepted ${radius.latency.accepted}/${radius.latency.requests}`,
  );

  const report = writeReport({
    startedAt,
    bundle,
    userCount,
    barePlain,
    bareEntry,
    rounds,
    load: { before: loadBefore, after: loadAfter },
    sequential,
    sanity: { replay: replayAnswer.reason ?? '?', wrong: wrongAnswer.reason ?? '?' },
    crowd: { d1: crowd.d1!, object: crowd.object! },
    probes,
    radius,
  });
  console.log('\n' + report.summary);
  console.log(`\nwrote ${RESULTS_FILE}`);
  if (cli.strict && !report.targetsMet) process.exitCode = 1;
}

/** One design under test: its Worker, its seeded users, and each load user's next HOTP counter. */
interface VerifyDesign {
  name: 'd1' | 'object';
  url: string;
  /** The users of the load files. */
  users: BenchUser[];
  counters: number[];
  /** Outside the load: one code accepted, then refused as a replay. */
  sanityUser: BenchUser;
  /** Outside the load: the "many concurrent users" row. */
  crowdUsers: BenchUser[];
  /** Outside the load: the one-request-at-a-time latencies (a warm user, then cold ones). */
  sequentialUsers: BenchUser[];
}

async function seedDesign(
  name: VerifyDesign['name'],
  worker: { url: string; db: D1Database },
  seedKey: string,
  apiKey: string,
  userCount: number,
  sequentialCount: number,
): Promise<VerifyDesign> {
  await applyMigrations(worker.db);
  const seeded = await seedUsers(worker.db, seedKey, userCount + 1 + sequentialCount + CROWD_USERS, apiKey);
  const crowdUsers = seeded.splice(seeded.length - CROWD_USERS);
  const sanityUser = seeded.pop()!;
  const sequentialUsers = seeded.splice(userCount);
  return { name, url: worker.url, users: seeded, counters: seeded.map(() => 0), sanityUser, crowdUsers, sequentialUsers };
}

/**
 * Every load user's first WARMUP_CODES_PER_USER codes, each sent exactly once (the Node client, no wrap): a warm-up
 * run for a fixed time reached only the users it had time for, and the first round then measured cold verifies.
 */
async function warmUp(design: VerifyDesign, apiKey: string): Promise<CrowdResult> {
  const result = await runCrowd({ url: `${design.url}/api/v1/verify`, apiKey, resource: RESOURCE_NAME, users: design.users, codesPerUser: WARMUP_CODES_PER_USER, concurrency: CONNECTIONS });
  if (result.accepted !== result.requests) throw new Error(`the ${design.name} verify API refused warm-up codes: ${JSON.stringify(result.reasons)}`);
  design.counters = design.users.map(() => WARMUP_CODES_PER_USER);
  return result;
}

/** One measured verify run of a design: a fresh file of each user's next CODES_PER_ROUND codes, then wrk. */
async function measureVerifyRound(design: VerifyDesign, round: number, apiKey: string): Promise<LoadResult> {
  const file = join(WORK_DIR, `verify-${design.name}-round-${round}.jsonl`);
  writeFileSync(file, verifyBodies(design.users, design.counters, CODES_PER_ROUND));
  const result = await runWrk({ threads: THREADS, connections: CONNECTIONS, url: `${design.url}/api/v1/verify`, durationSeconds: DURATION_SECONDS, bodiesFile: file, bearerToken: apiKey });
  design.counters = countersAfter(design.counters, result.requests, CODES_PER_ROUND);
  return result;
}

const describeVerify = (result: LoadResult) => `${fmtRate(result.requestsPerSecond)} (accepted ${result.accepted}/${result.requests} ${JSON.stringify(result.reasons)})`;

interface VerifyAnswer {
  accepted?: boolean;
  reason?: string;
}

/** Median latencies one request at a time (no queueing): bare, a user's first code (cold), successive codes (warm). */
interface Sequential {
  bareMs: number;
  coldMs: number;
  warmMs: number;
}

async function measureSequential(url: string, apiKey: string, sample: BenchUser[]): Promise<Sequential> {
  const timed = async (run: () => Promise<unknown>) => {
    const start = performance.now();
    await run();
    return performance.now() - start;
  };
  const verifyOnce = async (user: BenchUser, counter: number) => {
    const answer = await postJson(`${url}/api/v1/verify`, apiKey, JSON.stringify({ login: user.login, resource: RESOURCE_NAME, otp: generateHotpCode(user.seed, counter) }));
    if (answer.accepted !== true) throw new Error(`sequential verify refused: ${JSON.stringify(answer)}`);
  };
  const bare: number[] = [];
  for (let i = 0; i < SEQUENTIAL_WARM_CODES; i++) bare.push(await timed(async () => (await fetch(`${url}/health`)).text()));
  const [warmUser, ...coldUsers] = sample;
  const cold: number[] = [];
  for (const user of coldUsers) cold.push(await timed(() => verifyOnce(user, 0)));
  await verifyOnce(warmUser!, 0);
  const warm: number[] = [];
  for (let counter = 1; counter <= SEQUENTIAL_WARM_CODES; counter++) warm.push(await timed(() => verifyOnce(warmUser!, counter)));
  return { bareMs: medianOfNumbers(bare), coldMs: medianOfNumbers(cold), warmMs: medianOfNumbers(warm) };
}

async function postJson(url: string, bearerToken: string, body: string): Promise<VerifyAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearerToken}` },
    body,
  });
  return (await response.json()) as VerifyAnswer;
}

interface RadiusBench {
  radclient: RadclientResult;
  latency: RadiusLoadResult;
  radclientCount: number;
  fileUsers: number;
}

async function benchFreeRadius(users: BenchUser[]): Promise<RadiusBench> {
  const dir = join(WORK_DIR, 'freeradius');
  const port = await freeUdpPort();
  const radiusUsers = users.map((u) => ({ login: u.login, secretBase32: bytesToBase32(u.seed) }));
  writeFreeRadiusConfig(dir, { port, secret: RADIUS_SECRET, users: radiusUsers });
  const first = users[0]!;
  const server = await startFreeRadius(dir, { port, secret: RADIUS_SECRET, probe: { userName: first.login, password: '000000' } });
  try {
    const requestsFile = join(dir, 'requests.txt');
    // radclient slows down with the length of its request file (about 1/4 of the rate at 5,000 lines against
    // 250 here), which would measure radclient rather than FreeRADIUS: the file holds RADCLIENT_FILE_USERS users
    // and `-c` repeats it. rlm_totp keeps no per-user state, so the repetition costs it nothing it would not pay anyway.
    const fileUsers = users.slice(0, RADCLIENT_FILE_USERS);
    const writeRequests = () =>
      writeFileSync(
        requestsFile,
        fileUsers
          .map((u) => `User-Name = "${u.login}", User-Password = "${generateTotpCode(u.seed, Date.now(), TOTP_PERIOD_SECONDS)}"`)
          .join('\n\n') + '\n',
      );
    // rlm_totp checks the current 30 s step only, so every run starts early in a step and ends within it.
    const withinStep = async <T>(expectedSeconds: number, body: () => Promise<T>): Promise<T> => {
      await waitForStepRoom(expectedSeconds + 2);
      writeRequests();
      return body();
    };
    const runSeconds = Math.min(DURATION_SECONDS, TOTP_PERIOD_SECONDS - 10);
    // Warm-up and calibration: sizes the measured radclient run to about runSeconds.
    const calibration = await withinStep(4, () => runRadclient(server, { requestsFile, count: 40, parallel: CONNECTIONS }));
    const radclientCount = Math.max(1, Math.round((calibration.requestsPerSecond * runSeconds) / fileUsers.length));
    const radclient = await withinStep(runSeconds * 1.3, () =>
      runRadclient(server, { requestsFile, count: radclientCount, parallel: CONNECTIONS }),
    );
    const latency = await withinStep(runSeconds, () =>
      runRadiusLoad({
        host: server.host,
        port: server.port,
        secret: server.secret,
        requests: users.map((u) => ({ userName: u.login, password: generateTotpCode(u.seed, Date.now(), TOTP_PERIOD_SECONDS) })),
        concurrency: CONNECTIONS,
        durationMs: runSeconds * 1000,
      }),
    );
    return { radclient, latency, radclientCount, fileUsers: fileUsers.length };
  } finally {
    await server.stop();
  }
}

/** Waits for the next TOTP step when fewer than `seconds` remain in the current one. */
async function waitForStepRoom(seconds: number): Promise<void> {
  const periodMs = TOTP_PERIOD_SECONDS * 1000;
  const remainingMs = periodMs - (Date.now() % periodMs);
  if (remainingMs >= seconds * 1000) return;
  await new Promise((r) => setTimeout(r, remainingMs + 200));
}

interface Round {
  bare: LoadResult;
  verify: LoadResult;
  /** The same verify with VERIFY_STATE = "durable-object" (its own Worker and D1, the same users and load). */
  verifyObject: LoadResult;
  probe: LoadResult;
}

const medianOfNumbers = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The rounds of one row as one: median throughput and percentiles; counts summed over the rounds. */
function medianResult(results: LoadResult[]): LoadResult {
  const sum = (pick: (r: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const reasons: Record<string, number> = {};
  for (const r of results) for (const [reason, count] of Object.entries(r.reasons)) reasons[reason] = (reasons[reason] ?? 0) + count;
  const latency = (pick: (l: LoadResult['latencyUs']) => number) => medianOfNumbers(results.map((r) => pick(r.latencyUs)));
  return {
    requests: sum((r) => r.requests),
    durationUs: sum((r) => r.durationUs),
    requestsPerSecond: medianOfNumbers(results.map((r) => r.requestsPerSecond)),
    errors: {
      connect: sum((r) => r.errors.connect),
      read: sum((r) => r.errors.read),
      write: sum((r) => r.errors.write),
      status: sum((r) => r.errors.status),
      timeout: sum((r) => r.errors.timeout),
    },
    latencyUs: { mean: latency((l) => l.mean), p50: latency((l) => l.p50), p90: latency((l) => l.p90), p99: latency((l) => l.p99), max: latency((l) => l.max) },
    ok: sum((r) => r.ok),
    accepted: sum((r) => r.accepted),
    wraps: sum((r) => r.wraps),
    reasons,
  };
}

interface ReportInput {
  startedAt: Date;
  bundle: WorkerBundle;
  userCount: number;
  barePlain: LoadResult;
  bareEntry: LoadResult;
  rounds: Round[];
  /** os.loadavg() before and after the side-by-side rounds: the machine is shared. */
  load: { before: number[]; after: number[] };
  sequential: Sequential;
  sanity: { replay: string; wrong: string };
  crowd: { d1: CrowdResult; object: CrowdResult };
  probes: Record<number, LoadResult>;
  radius: RadiusBench;
}

function writeReport(input: ReportInput): { summary: string; targetsMet: boolean } {
  const { barePlain, bareEntry, radius, rounds } = input;
  const bareMiniflare = medianResult(rounds.map((r) => r.bare));
  const verify = medianResult(rounds.map((r) => r.verify));
  const verifyObject = medianResult(rounds.map((r) => r.verifyObject));
  const writeProbe = medianResult(rounds.map((r) => r.probe));
  const verifyOverProbe = verify.requestsPerSecond / writeProbe.requestsPerSecond;
  const probeTargetMet = verifyOverProbe >= 0.8;
  const radiusLatencies = [...radius.latency.latenciesUs].sort((a, b) => a - b);
  const ms = (us: number) => (us / 1000).toFixed(2);
  const pct = (part: number, whole: number) => (whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(2)} %`);
  const verifyOverBare = verify.requestsPerSecond / bareMiniflare.requestsPerSecond;
  const verifyOverPlain = verify.requestsPerSecond / barePlain.requestsPerSecond;
  const nodeClientRps = radius.latency.requests / (radius.latency.durationMs / 1000);
  // Two clients drove FreeRADIUS; the faster one is the closer bound on what the server does, and the harder peer.
  const radiusRps = Math.max(radius.radclient.requestsPerSecond, nodeClientRps);
  const verifyOverRadius = verify.requestsPerSecond / radiusRps;
  const bareTargetMet = verifyOverBare >= 0.5;
  const radiusTargetMet = verifyOverRadius >= 1;
  const verifyAcceptedFraction = verify.requests === 0 ? 0 : verify.accepted / verify.requests;
  const httpErrors = (r: LoadResult) => r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout;
  const requestsPerUser = verify.requests / input.userCount;
  const versions = readVersions();
  const row = (name: string, rps: number, p50: string, p90: string, p99: string, accepted: string, requests: number, errors: string) =>
    `| ${name} | ${fmtRate(rps)} | ${p50} | ${p90} | ${p99} | ${accepted} | ${requests} | ${errors} |`;

  const table = [
    '| What | Throughput (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | Accepted | Requests | Errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(
      'Bare `GET /health`, Miniflare direct socket (the baseline)',
      bareMiniflare.requestsPerSecond,
      ms(bareMiniflare.latencyUs.p50),
      ms(bareMiniflare.latencyUs.p90),
      ms(bareMiniflare.latencyUs.p99),
      pct(bareMiniflare.ok, bareMiniflare.requests) + ' 2xx',
      bareMiniflare.requests,
      String(httpErrors(bareMiniflare)),
    ),
    row(
      '`POST /api/v1/verify`, Miniflare direct socket, D1',
      verify.requestsPerSecond,
      ms(verify.latencyUs.p50),
      ms(verify.latencyUs.p90),
      ms(verify.latencyUs.p99),
      pct(verify.accepted, verify.requests),
      verify.requests,
      String(httpErrors(verify)),
    ),
    row(
      '`POST /api/v1/verify`, object mode: hot state in a per-user Durable Object (SQLite)',
      verifyObject.requestsPerSecond,
      ms(verifyObject.latencyUs.p50),
      ms(verifyObject.latencyUs.p90),
      ms(verifyObject.latencyUs.p99),
      pct(verifyObject.accepted, verifyObject.requests),
      verifyObject.requests,
      String(httpErrors(verifyObject)),
    ),
    ...(['d1', 'object'] as const).map((mode) => {
      const c = input.crowd[mode];
      const at = (p: number) => c.latenciesMs[Math.min(c.latenciesMs.length - 1, Math.floor((p / 100) * c.latenciesMs.length))]!.toFixed(2);
      return row(
        `Many concurrent users, ${mode === 'd1' ? 'D1' : 'object mode'}: ${CROWD_USERS} users x ${CROWD_CODES} codes, ${CROWD_CONCURRENCY} in flight (Node client)`,
        c.requestsPerSecond,
        at(50),
        at(90),
        at(99),
        pct(c.accepted, c.requests),
        c.requests,
        Object.entries(c.reasons).map(([reason, n]) => `${reason} ${n}`).join(', ') || '0',
      );
    }),
    row(
      'D1 write probe Worker: 1 conditional UPDATE per request (the limit)',
      writeProbe.requestsPerSecond,
      ms(writeProbe.latencyUs.p50),
      ms(writeProbe.latencyUs.p90),
      ms(writeProbe.latencyUs.p99),
      pct(writeProbe.ok, writeProbe.requests) + ' 2xx',
      writeProbe.requests,
      String(httpErrors(writeProbe)),
    ),
    row(
      'FreeRADIUS rlm_totp, `radclient` (throughput only)',
      radius.radclient.requestsPerSecond,
      '—',
      '—',
      '—',
      pct(radius.radclient.accepted, radius.radclient.requests),
      radius.radclient.requests,
      `${radius.radclient.lost} lost`,
    ),
    row(
      'FreeRADIUS rlm_totp, Node UDP client',
      nodeClientRps,
      ms(percentile(radiusLatencies, 50)),
      ms(percentile(radiusLatencies, 90)),
      ms(percentile(radiusLatencies, 99)),
      pct(radius.latency.accepted, radius.latency.requests),
      radius.latency.requests,
      `${radius.latency.lost} lost`,
    ),
    row(
      'Bare `GET /health`, plain `workerd serve` (reference)',
      barePlain.requestsPerSecond,
      ms(barePlain.latencyUs.p50),
      ms(barePlain.latencyUs.p90),
      ms(barePlain.latencyUs.p99),
      pct(barePlain.ok, barePlain.requests) + ' 2xx',
      barePlain.requests,
      String(httpErrors(barePlain)),
    ),
    row(
      'Bare `GET /health`, Miniflare entry socket (reference)',
      bareEntry.requestsPerSecond,
      ms(bareEntry.latencyUs.p50),
      ms(bareEntry.latencyUs.p90),
      ms(bareEntry.latencyUs.p99),
      pct(bareEntry.ok, bareEntry.requests) + ' 2xx',
      bareEntry.requests,
      String(httpErrors(bareEntry)),
    ),
    ...Object.entries(input.probes).map(([n, r]) =>
      row(
        `D1 probe Worker: ${n} sequential point SELECT${n === '1' ? '' : 's'} per request (reference)`,
        r.requestsPerSecond,
        ms(r.latencyUs.p50),
        ms(r.latencyUs.p90),
        ms(r.latencyUs.p99),
        pct(r.ok, r.requests) + ' 2xx',
        r.requests,
        String(httpErrors(r)),
      ),
    ),
  ].join('\n');

  const ratios = [
    '| Ratio | Value | Target | Met |',
    '| --- | ---: | ---: | --- |',
    `| verify / D1 write probe (one conditional UPDATE per request) | ${verifyOverProbe.toFixed(3)} | ≥ 0.8 | ${probeTargetMet ? 'yes' : '**no**'} |`,
    `| verify object mode / D1 write probe, and / verify D1 | ${(verifyObject.requestsPerSecond / writeProbe.requestsPerSecond).toFixed(3)}, ${(verifyObject.requestsPerSecond / verify.requestsPerSecond).toFixed(3)} | (reference) | |`,
    `| many concurrent users: object mode / D1 | ${(input.crowd.object.requestsPerSecond / input.crowd.d1.requestsPerSecond).toFixed(3)} | (reference) | |`,
    `| verify / bare (Miniflare direct socket) | ${verifyOverBare.toFixed(3)} | ≥ 0.5 | ${bareTargetMet ? 'yes' : '**no**'} |`,
    `| verify / FreeRADIUS rlm_totp (the faster of its two clients) | ${verifyOverRadius.toFixed(3)} | ≥ 1.0 | ${radiusTargetMet ? 'yes' : '**no**'} |`,
    `| verify / bare (plain workerd serve) | ${verifyOverPlain.toFixed(3)} | (reference) | |`,
    `| bare Miniflare direct / bare plain workerd | ${(bareMiniflare.requestsPerSecond / barePlain.requestsPerSecond).toFixed(3)} | (reference) | |`,
    `| bare Miniflare entry / bare Miniflare direct | ${(bareEntry.requestsPerSecond / bareMiniflare.requestsPerSecond).toFixed(3)} | (reference) | |`,
    ...Object.entries(input.probes).map(
      ([n, r]) =>
        `| D1 probe (${n} SELECT${n === '1' ? '' : 's'}) / bare, and verify / that probe | ${(r.requestsPerSecond / bareMiniflare.requestsPerSecond).toFixed(3)}, ${(verify.requestsPerSecond / r.requestsPerSecond).toFixed(3)} | (reference) | |`,
    ),
  ].join('\n');

  const reasons = Object.entries(verify.reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');

  const roundTable = [
    '| Round | Bare (req/s) | Verify (req/s) | Verify, object mode (req/s) | Write probe (req/s) | Verify / probe | Verify / bare |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${fmtRate(r.bare.requestsPerSecond)} | ${fmtRate(r.verify.requestsPerSecond)} | ${fmtRate(r.verifyObject.requestsPerSecond)} | ${fmtRate(r.probe.requestsPerSecond)} | ${(r.verify.requestsPerSecond / r.probe.requestsPerSecond).toFixed(3)} | ${(r.verify.requestsPerSecond / r.bare.requestsPerSecond).toFixed(3)} |`,
    ),
  ].join('\n');
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' / ');

  const markdown = `# OTP verify benchmark

Written by \`npm run bench\` (\`bench/otp.ts\`) on ${input.startedAt.toISOString()}. Numbers from one run on one
machine; absolute figures drift on shared machines, the ratios between rows of the same run are what to compare.

${table}

${ratios}

Bare, verify (D1 and object mode) and write probe ran side by side in ${rounds.length} rounds (in each: bare, verify in object mode, probe, verify, probe;
the round's probe is the mean of the two runs around its verify, so the load's drift within the round cancels); the rows above are
their medians (throughput and each percentile; counts summed). Load average (1 / 5 / 15 min) ${load(input.load.before)} before
the rounds and ${load(input.load.after)} after: the machine's 2 cores were shared with other work during the run, which moves
the absolute numbers; the rows of one round ran within seconds of each other.

${roundTable}

One request at a time after the rounds (medians; no queueing, so each is the latency of its own work): bare
\`/health\` ${input.sequential.bareMs.toFixed(2)} ms; a user's first code, a cold verify (read batch, then consume batch)
${input.sequential.coldMs.toFixed(2)} ms; the same user's next ${SEQUENTIAL_WARM_CODES} codes, warm verifies (one statement) ${input.sequential.warmMs.toFixed(2)} ms.

Verify answers that were not accepted: ${reasons || 'none'}${verify.wraps > 0 ? `; the request list ran out ${verify.wraps} time(s) and started again (those requests were replays)` : ''}.

## What was measured

- **Object mode** (\`VERIFY_STATE = "durable-object"\`, \`worker/verify-state/\`): a second Miniflare Worker from the same
  bundle with its own on-disk D1, the same number of users, the same request files and warm-up, run in each round
  right after the D1-mode verify. A warm verify claims its attempt in D1 with one statement (the rate limit hit,
  counted only while D1 still holds the isolate's copy of the API key, user, resource, assignment and token:
  worker/verify-state/warm.ts), then asks the user's SQLite Durable Object, which matches and consumes the code in
  one \`transactionSync\` with the D1 mirror and the UserLogin row in its outbox, flushed to D1 after it answered:
  one D1 statement and one object call on the answer's path, where the D1 mode's warm path takes one statement.
- **Many concurrent users**: ${CROWD_USERS} further users per design, each verifying ${CROWD_CODES} successive codes, interleaved
  user by user, ${CROWD_CONCURRENCY} requests in flight from Node's fetch; every user's first code is its first verify (a cold
  read in D1 mode; in object mode also its object's creation and initialisation from D1).
- **Load**: wrk ${THREADS} thread(s), ${CONNECTIONS} connections, ${DURATION_SECONDS} s per measured run after a ${WARMUP_SECONDS} s
  warm-up, keep-alive, loopback. Latency percentiles are wrk's (send to last byte, per request).
- **Verify requests are real successes**: ${input.userCount} users, each with an HOTP hardware token (SHA-1, 6 digits, seed
  sealed with the Worker's own \`sealSeed\`) assigned to one resource ("token with user"). Request j is for user j % U
  with that user's code for counter floor(j / U), computed by an HOTP implementation independent of \`worker/otp/\`
  (\`bench/lib/hotp.ts\` on node:crypto), so each user's codes arrive in increasing order, U requests apart. Every
  request passes the whole production path: API-key authentication (SHA-256 of the key, checked in D1 on every
  request), the per-(login, resource) rate limit upsert, seed decryption (AES-GCM), HOTP check, the atomic
  conditional counter UPDATE (replay protection) and the activity INSERT, all against D1; the resource, user,
  assignment and token reads on a cold verify, their check inside the consume on a warm one.
  After the run, a user outside the load had a code accepted once, then refused when sent again
  (${input.sanity.replay}); a wrong code was refused too (${input.sanity.wrong}).
- **D1 round trips per verify: 1 on the warm path** (2 cold). Each sequential D1 call is a round trip to D1's
  SQLite, which costs far more than the crypto (the D1 probe rows). An isolate that has verified a (login, resource)
  keeps a copy of the user, resource, assignment and token rows it read (\`worker/verify-api/warm-path.ts\`); the next
  TOTP/HOTP code is checked against that copy in memory (the HMAC key opened from the seed once per copy) and a
  success is ONE statement, the consume UPDATE (conditional on the code being ahead of the token, the lock, the rate
  limit not spent, the key being usable now, and the rows still saying what the copy says), whose trigger writes the
  rate limit hit and the UserLogin row in the same statement (migration 0013), plus the API key's last-use write once
  a minute per isolate (then a batch of two). A refused consume (an admin change, a replay, a lock) writes nothing and falls
  back to the cold path: (1) the read batch (key lookup, rate limit hit, every read the decision needs), (2) the
  consume batch. The write probe row is the floor: one conditional UPDATE per request and nothing else.
- **Rate limit**: ${VERIFY_ATTEMPTS_PER_USER} verify calls per (login, resource) per ${VERIFY_WINDOW_MS / 60000} min. The users were
  sized from the write probe's throughput (${SIZING_MARGIN}x, ${CODES_PER_ROUND} codes per user per round) so that nobody could
  reach the limit: the measured rounds sent ${requestsPerUser.toFixed(1)} requests per user in all (plus ${WARMUP_CODES_PER_USER} in the
  warm-up, which sends every user's first code exactly once, from Node, before the rounds), so this is not a
  rate-limit benchmark, and every measured D1-mode verify takes the warm path.
- **Serving the Worker**: the bundle \`wrangler deploy --dry-run\` produces (${(input.bundle.bundleBytes / 1024).toFixed(0)} KiB,
  \`nodejs_compat\`), served by workerd through **Miniflare's API** with a local, on-disk D1 (migrations/ applied
  first), on Miniflare's *direct socket* (\`unsafeDirectSockets\`): requests reach the Worker without Miniflare's entry
  worker and without \`wrangler dev\`'s proxy. Plain \`workerd serve\` with a generated config was compared for the bare
  endpoint (reference rows): it has no D1 binding of its own (Miniflare provides D1 as a wrapped binding over its
  own SQLite worker), so the verify API can only run under Miniflare; the baseline for the verify/bare ratio is
  therefore the bare endpoint on the same Miniflare socket. Compatibility date ${input.bundle.compatibilityDate}${
    input.bundle.compatibilityDate !== input.bundle.requestedCompatibilityDate
      ? ` (wrangler.toml asks for ${input.bundle.requestedCompatibilityDate}, newer than this workerd supports)`
      : ''
  }.
- **FreeRADIUS** ${versions.freeradius} (Debian), rlm_totp, a minimal config written at run time (one virtual server on a loopback
  UDP port, \`files\` setting \`&control:TOTP-Secret\` for the same ${input.userCount} users, \`authenticate { totp }\`), packaged
  thread-pool defaults. Every request carries a valid TOTP code for the current 30 s step (rlm_totp
  checks that step only, so every run is placed inside one step). Two clients, both with ${CONNECTIONS} requests in flight:
  \`radclient -f <file> -c ${radius.radclientCount} -p ${CONNECTIONS}\` timed as a whole (the file holds one request for each of
  ${radius.fileUsers} users: radclient itself slows down in proportion to its file's length, to about a quarter of its
  rate at 5,000 lines); and a small Node RADIUS client (\`bench/lib/radius-client.ts\`, all users) for
  ${(radius.latency.durationMs / 1000).toFixed(1)} s, which also gives the latencies radclient does not report. The ratio uses the
  faster of the two. Both clients share the 2 cores with the server, as wrk does with workerd.
  rlm_totp keeps no state: no replay protection, no fail counter, no lockout, no rate limit, no audit record, the
  secret in clear in its users file, and it checks only the current step. The verify API does all of these per request.
- **D1 probe**: a Worker of a few lines on the same Miniflare + on-disk D1 setup that answers after N sequential
  D1 point SELECTs (primary key, 1,000-row table) and nothing else: what D1 round trips alone cost here, the
  ceiling for any endpoint that makes that many.
- **Machine**: ${versions.cpus}; Node ${process.version}; ${versions.workerd}; Miniflare ${versions.miniflare}; ${versions.wrk}.
`;
  mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
  writeFileSync(RESULTS_FILE, markdown);
  const summary = [
    table,
    '',
    ratios,
    '',
    `verify accepted: ${(verifyAcceptedFraction * 100).toFixed(2)} %${reasons ? ` (others: ${reasons})` : ''}`,
    roundTable,
    !bareTargetMet || !radiusTargetMet || !probeTargetMet ? 'TARGET MISSED (see the ratios above)' : 'targets met',
  ].join('\n');
  return { summary, targetsMet: bareTargetMet && radiusTargetMet && probeTargetMet };
}

function readVersions() {
  const first = (command: string, args: string[]) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]!
        .trim();
    } catch (error) {
      const output = (error as { stdout?: string; stderr?: string }).stdout || (error as { stderr?: string }).stderr || '';
      return output.split('\n')[0]!.trim() || `${command}: unknown version`;
    }
  };
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const miniflare = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/miniflare/package.json'), 'utf8')).version as string;
  return {
    workerd: first(WORKERD_BINARY, ['--version']),
    freeradius: /Version ([\d.]+)/.exec(first('freeradius', ['-v']))?.[1] ?? 'unknown version',
    wrk: first('wrk', ['--version']).replace(/ Copyright.*/, ''),
    miniflare,
    cpus: `${(() => {
      try {
        return execFileSync('nproc', { encoding: 'utf8' }).trim();
      } catch {
        return '?';
      }
    })()} × ${cpuModel}`,
  };
}

function fmtRate(rps: number): string {
  return Math.round(rps).toLocaleString('en-US');
}

function log(message: string): void {
  console.log(`[otp] ${message}`);
}

main().catch((error) => {
  console.error(`[otp] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  process.exit(1);
});
