/**
 * `npm run bench -- cpu`: the CPU time of each kind of request the product serves (verify, password sign-in, the
 * portal sign-in's two requests, SAML ACS, a SAML sign-in that runs the sign-in script) on the Worker as
 * production runs it (the `wrangler deploy --dry-run` bundle in workerd, local D1), against the Workers plans'
 * limits: Free 10 ms per request, Paid 30 s by default (`limits.cpu_ms`, up to 5 min). Writes bench/results/cpu.md.
 *
 * What is measured, and why this way:
 * - workerd cannot report it. Its tail events carry `cpuTime` and `wallTime`, but only Cloudflare's runtime fills
 *   them; workerd reports 0 for every request. The run checks that again (a tail Worker beside ours) and would say
 *   so if a later workerd started measuring.
 * - The workerd process's CPU (per-thread schedstat) is an upper bound only: Miniflare's local D1 is a Durable
 *   Object with SQLite in the same process, on the same thread, and a D1 call costs it about 1-2 ms of CPU here,
 *   which Cloudflare bills to D1, not to the Worker.
 * - So the figure compared with the limits is the process's CPU for the request times the Worker isolate's share
 *   of it, from V8's sampling profiler on every isolate of the process at once (Chrome DevTools Protocol on
 *   workerd's inspector). V8 samples an isolate only while it is entered: its JavaScript and the native work it calls
 *   (WebCrypto's PBKDF2, HMAC, RSA), never while another isolate (D1's, running SQLite) has the thread. The share is
 *   a ratio of samples taken by the same mechanism, so the ticks a loaded machine makes the samplers miss cancel out
 *   (their absolute count does not: on a loaded machine it undercounts several times over). What belongs to no isolate
 *   (sockets, HTTP parsing, RPC between isolates) is split in the same ratio, which errs on the high side for the
 *   Worker. That is what Cloudflare counts as CPU time: the isolate executing, not waiting on I/O.
 *
 * Every request is a real success (checked before it counts); a fresh client address per sign-in keeps the
 * per-IP limits out of it. Kinds are measured round-robin so a busy spell of the shared machine falls on all.
 *
 * Usage: npx tsx bench/cpu.ts [--rounds 15] [--interval-us 100] [--strict]
 *   --strict: exit 1 when a kind's median exceeds the Free plan's limit (by default the report says so).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { signResponse } from '../test/setup/saml-signed-responses';
import { PBKDF2_ITERATIONS, VERIFY_ATTEMPTS_PER_USER } from '../worker/constants';
import { generateHotpCode } from './lib/hotp';
import { busySamples, enableSampling, Inspector, profileAll } from './lib/inspector';
import { applyMigrations, seedAdmin } from './lib/seed';
import { ensureDebianTools } from './lib/system-deps';
import { REPO_ROOT, bundleWorker, bundleWorkerOptions, freePort, type WorkerBundle } from './lib/worker';

const { values: cli } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    'interval-us': { type: 'string', default: '100' },
    strict: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(cli.rounds);
const WARMUP_ROUNDS = 3;
const SAMPLING_INTERVAL_US = Number(cli['interval-us']);
/** workerd's inspector names a Worker's isolate core:user:<worker name>. */
const WORKER_TARGET = 'core:user:main';
const BESIDE_TARGETS = ['core:user:tail', 'core:user:pbkdf2'];
/** Workers Free: 10 ms of CPU per HTTP request. */
const FREE_CPU_LIMIT_MS = 10;
/** Workers Paid: 30 s of CPU per HTTP request unless `limits.cpu_ms` raises it (at most 300,000 ms). */
const PAID_DEFAULT_CPU_LIMIT_MS = 30_000;
const PAID_MAX_CPU_LIMIT_MS = 300_000;
/** One PBKDF2 at PBKDF2_ITERATIONS on a quiet machine of this type (issue 14 §4): what a PBKDF2 here stands for. */
const QUIET_PBKDF2_MS = 10.4;

const WORK_DIR = join(REPO_ROOT, 'bench/.work/cpu');
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/cpu.md');
/** The medians for bench/scale.ts, which prices its traffic with them. */
const COSTS_FILE = join(REPO_ROOT, 'bench/results/cpu.json');
const PASSWORD = 'bench cpu password 1';
const RESOURCE = 'bench-cpu-vpn';
const PORTAL_ALIAS = 'bench-cpu';
const IDP_ENTITY_ID = 'https://idp.example.test/saml';
const CLAIMS = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  firstName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  lastName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  language: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/locale',
  role: 'extRole',
};

type KindName = 'health' | 'verify' | 'password' | 'portalInfo' | 'portalStart' | 'portalPassword' | 'portalMe' | 'adminList' | 'acs' | 'acsScript';
const KIND_LABELS: Record<KindName, string> = {
  health: '`GET /health` (floor: routing, security headers)',
  verify: '`POST /api/v1/verify` (HOTP, accepted)',
  password: '`POST /api/auth/login` (password, signed in)',
  portalInfo: '`GET /api/portal/<alias>` (portal lookup)',
  portalStart: '`POST /api/portal/<alias>/signin` (login → flow)',
  portalPassword: '`POST /api/portal/<alias>/signin/password` (→ signed in)',
  portalMe: '`GET /api/portal/<alias>/me` (the signed-in portal page)',
  adminList: '`GET /api/admin/users?limit=50` (an admin list view)',
  acs: '`POST /saml/acs` (SP-initiated, assertion signed, signed in)',
  acsScript: '`POST /saml/acs` with the sign-in script (10 actions, signed in)',
};

interface Sample {
  /** The Worker isolate's CPU: its share of the process's (the figure compared with the limits). */
  isolateMs: number;
  /** The Worker isolate's busy samples / all isolates' busy samples, in the profiled twin of the request. */
  share: number;
  /** The Worker isolate's busy samples x the nominal interval, ms: what the samples alone would have said. */
  sampledMs: number;
  /** The same request unprofiled: the whole workerd process, local D1 included. */
  processMs: number;
  wallMs: number;
  hotspots: Map<string, number>;
}

async function main(): Promise<void> {
  ensureDebianTools({ xmlsec1: 'xmlsec1', openssl: 'openssl' });
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const startedAt = new Date();
  const loadAtStart = loadavg()[0]!;

  log('bundling the Worker (wrangler deploy --dry-run)');
  const bundle = await bundleWorker(WORK_DIR);
  log('starting it with Miniflare (workerd + local D1) and a tail Worker beside it');
  const app = await startProfiledWorker(bundle);
  try {
    log('seeding through the admin API: verify users and key, a portal, SAML and the sign-in script');
    const setup = await prepare(app);
    // Every isolate of the process: the Worker's share is counted against all of them.
    const { sessions: inspectors, refused } = await Inspector.connectAll(app.inspectorPort);
    if (!inspectors.has(WORKER_TARGET)) throw new Error(`no inspector target ${WORKER_TARGET} (have ${[...inspectors.keys()].join(', ')})`);
    await enableSampling(inspectors, SAMPLING_INTERVAL_US);

    const samples = new Map<KindName, Sample[]>();
    const pbkdf2Ms: number[] = [];
    const measureKind = async (kind: KindName, record: boolean) => {
      // Unprofiled first (the process's CPU, the wall time), then the same kind of request profiled (the shares).
      const { prepare, send } = setup.requests[kind];
      await prepare?.();
      const plain = await timedRequest(app.pid, send);
      await prepare?.();
      const profiles = await profileAll(inspectors, send);
      const busyByTarget = new Map([...profiles].map(([id, profile]) => [id, busySamples(profile)]));
      const ours = busyByTarget.get(WORKER_TARGET)!;
      // The tail Worker receives earlier requests' events at any moment, and the yardstick is idle here: neither is
      // part of this request's work.
      const all = [...busyByTarget].filter(([id]) => !BESIDE_TARGETS.includes(id)).reduce((sum, [, b]) => sum + b.count, 0);
      // No sample at all (a request shorter than the interval): all of it counts as the Worker's.
      const share = all === 0 ? 1 : ours.count / all;
      if (record) {
        const list = samples.get(kind) ?? [];
        list.push({ isolateMs: plain.cpuMs * share, share, sampledMs: (ours.count * SAMPLING_INTERVAL_US) / 1000, processMs: plain.cpuMs, wallMs: plain.wallMs, hotspots: ours.byFunction });
        samples.set(kind, list);
      }
    };

    const kindsFor = (phase: 'plain' | 'script'): KindName[] =>
      phase === 'plain' ? ['health', 'verify', 'password', 'portalInfo', 'portalStart', 'portalPassword', 'portalMe', 'adminList', 'acs'] : ['health', 'acsScript'];
    for (const phase of ['plain', 'script'] as const) {
      if (phase === 'script') await setup.enableScript();
      log(`${phase === 'plain' ? 'every kind' : 'with the sign-in script enabled'}: ${WARMUP_ROUNDS} warm-up + ${ROUNDS} measured rounds`);
      for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
        const record = round >= WARMUP_ROUNDS;
        const yardstick = await timedRequest(app.pid, () => fetch(app.pbkdf2Url).then((r) => r.text()));
        if (record) pbkdf2Ms.push(yardstick.cpuMs);
        for (const kind of kindsFor(phase)) {
          // /health appears in both phases; the first phase's samples are its figures.
          await measureKind(kind, record && !(phase === 'script' && kind === 'health'));
        }
      }
    }
    const tailCpu = await app.tailCpuTimes();
    const activityRows = await measureActivityRows(app.db);
    for (const inspector of inspectors.values()) inspector.close();

    const report = writeReport({ startedAt, load: [loadAtStart, loadavg()[0]!], bundle, samples, pbkdf2Ms: median(pbkdf2Ms), tailCpu, setup, activityRows, targets: [...inspectors.keys()], refused });
    console.log('\n' + report.summary);
    console.log(`\nwrote ${RESULTS_FILE}`);
    if (cli.strict && !report.freeMet) process.exitCode = 1;
  } finally {
    await app.stop();
  }
}

// ---------------------------------------------------------------- the Worker under a profiler

interface ProfiledWorker {
  url: string;
  /** A Worker that derives one PBKDF2 key per request, nothing else. */
  pbkdf2Url: string;
  inspectorPort: number;
  pid: number;
  db: D1Database;
  /** The cpuTime of every tail event workerd produced for our Worker's requests. */
  tailCpuTimes(): Promise<number[]>;
  stop(): Promise<void>;
}

async function startProfiledWorker(bundle: WorkerBundle): Promise<ProfiledWorker> {
  const inspectorPort = await freePort();
  const directPort = await freePort();
  const pbkdf2Port = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: await freePort(),
      inspectorPort,
      resourcePersistencePath: join(WORK_DIR, 'state'),
      workers: [
        {
          name: 'main',
          ...bundleWorkerOptions(bundle, {
            SEED_ENCRYPTION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'),
            SESSION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64'),
            PUBLIC_ORIGIN: '',
          }),
          unsafeDirectSockets: [{ host: '127.0.0.1', port: directPort }],
          tails: ['tail'],
        },
        {
          // One password check's PBKDF2 alone, as worker/lib/crypto.ts derives it: the yardstick a loaded machine
          // cannot bend, since it slows it down as much as the requests measured beside it.
          name: 'pbkdf2',
          modules: true,
          compatibilityDate: bundle.compatibilityDate,
          unsafeDirectSockets: [{ host: '127.0.0.1', port: pbkdf2Port }],
          script: `export default {
  async fetch() {
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('a password'), 'PBKDF2', false, ['deriveBits']);
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: crypto.getRandomValues(new Uint8Array(16)), iterations: ${PBKDF2_ITERATIONS} }, key, 256);
    return new Response('ok');
  },
};`,
        },
        {
          name: 'tail',
          modules: true,
          compatibilityDate: bundle.compatibilityDate,
          script: `const cpuTimes = [];
export default {
  async tail(events) { for (const event of events) cpuTimes.push(event.cpuTime); },
  async fetch() { return Response.json(cpuTimes); },
};`,
        },
      ],
    }),
  );
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL('main')).toString().replace(/\/$/, '');
  const db = (await mf.getD1Database('DB', 'main')) as unknown as D1Database;
  const pbkdf2Url = (await mf.unsafeGetDirectURL('pbkdf2')).toString().replace(/\/$/, '');
  const pid = findWorkerdPid();
  if (pid === null) throw new Error('no workerd child process found');
  return {
    url,
    pbkdf2Url,
    inspectorPort,
    pid,
    db,
    tailCpuTimes: async () => {
      // Tail events are delivered after the response; give the last ones a moment.
      await new Promise((r) => setTimeout(r, 500));
      const tail = await mf.getWorker('tail');
      return (await (await tail.fetch('http://tail/')).json()) as number[];
    },
    stop: () => mf.dispose(),
  };
}

async function timedRequest(pid: number, request: () => Promise<unknown>): Promise<{ cpuMs: number; wallMs: number }> {
  const cpuStart = processCpuMs(pid);
  const start = process.hrtime.bigint();
  await request();
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  return { cpuMs: processCpuMs(pid) - cpuStart, wallMs };
}

/** The workerd process Miniflare started for us (a child of this process). */
function findWorkerdPid(): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm.includes('workerd')) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

/**
 * CPU time in ms the process's main thread has run so far (schedstat: nanoseconds on a CPU). Every isolate and
 * workerd's event loop run on it; V8's background threads (concurrent GC, compilation) are left out, as they are
 * no request's CPU time.
 */
function processCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

// ---------------------------------------------------------------- the requests

interface RequestKind {
  /** What must happen before the measured request (a flow started, a response signed), outside the timing. */
  prepare?: () => Promise<void>;
  send: () => Promise<void>;
}

interface Setup {
  requests: Record<KindName, RequestKind>;
  enableScript(): Promise<void>;
  verifyUsers: number;
}

async function prepare(app: ProfiledWorker): Promise<Setup> {
  await applyMigrations(app.db);
  const admin = { login: 'admin', password: `pw-${randomText()}`, apiKey: `eid_${randomText()}` };
  await seedAdmin(app.db, admin);
  const adminApi = async <T = any>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${app.url}/api/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${admin.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${await response.text()}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
  let ipCounter = 0;
  const freshIp = () => {
    ipCounter++;
    return `198.18.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 1}`;
  };
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp(), 'user-agent': 'edge-identity-bench', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text.startsWith('{') ? JSON.parse(text) : null, cookies: response.headers.getSetCookie() };
  };

  // Verify: HOTP hardware tokens assigned with their users; each user's codes in increasing counter order, and
  // no user past the per-(login, resource) limit in the run.
  const resource = await adminApi<{ id: string }>('POST', '/resources', { name: RESOURCE });
  const verifyKey = await adminApi<{ key: string }>('POST', '/api-keys', { name: 'bench cpu verify', scope: 'verify' });
  const verifies = WARMUP_ROUNDS + ROUNDS;
  const perUser = VERIFY_ATTEMPTS_PER_USER - 2;
  const verifyUsers: Array<{ login: string; seed: Uint8Array; counter: number }> = [];
  for (let i = 0; i < Math.ceil((2 * verifies) / perUser); i++) {
    const login = `bench.cpu.verify.${i}`;
    const user = await adminApi<{ id: string }>('POST', '/users', { login, firstName: 'Bench', lastName: `Verify ${i}` });
    const seed = crypto.getRandomValues(new Uint8Array(20));
    const token = await adminApi<{ id: string }>('POST', '/tokens/hardware', {
      type: 'HOTP',
      serial: `BENCH-CPU-${i}`,
      seed: Buffer.from(seed).toString('hex'),
      seedEncoding: 'hex',
      ownerUserId: user.id,
    });
    await adminApi('PUT', `/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    verifyUsers.push({ login, seed, counter: 0 });
  }
  let verifyCount = 0;
  const verify = async () => {
    const user = verifyUsers[Math.floor(verifyCount++ / perUser)]!;
    const answer = await post('/api/v1/verify', { login: user.login, resource: RESOURCE, otp: generateHotpCode(user.seed, user.counter++) }, { authorization: `Bearer ${verifyKey.key}` });
    if (answer.json?.accepted !== true) throw new Error(`verify answered ${answer.status} ${JSON.stringify(answer.json)}`);
  };

  // Password sign-in and the portal: one user with a password and no token.
  const signInUser = await adminApi<{ id: string; login: string }>('POST', '/users', {
    login: 'bench.cpu.password',
    firstName: 'Ada',
    lastName: 'Lovelace',
    email: 'ada@example.test',
    password: PASSWORD,
  });
  const portalResource = await adminApi<{ id: string }>('POST', '/resources', { name: PORTAL_ALIAS });
  await adminApi('PUT', `/resources/${portalResource.id}/self-service`, { enabled: true, alias: PORTAL_ALIAS, actions: ['changePassword'], tokenTypes: ['TOTP'] });
  await adminApi('PUT', `/resources/${portalResource.id}/assignments`, { userId: signInUser.id });
  const password = async () => {
    const answer = await post('/api/auth/login', { login: signInUser.login, password: PASSWORD });
    if (answer.json?.state !== 'signed_in') throw new Error(`/api/auth/login answered ${answer.status} ${JSON.stringify(answer.json)}`);
  };
  let pendingFlow: string | null = null;
  const portalStart = async () => {
    const answer = await post(`/api/portal/${PORTAL_ALIAS}/signin`, { login: signInUser.login });
    if (answer.json?.step !== 'password') throw new Error(`portal sign-in start answered ${answer.status} ${JSON.stringify(answer.json)}`);
    pendingFlow = answer.json.flow;
  };
  const portalPassword = async () => {
    const flow = pendingFlow;
    pendingFlow = null;
    const answer = await post(`/api/portal/${PORTAL_ALIAS}/signin/password`, { flow, password: PASSWORD });
    if (answer.json?.state !== 'signed_in') throw new Error(`portal sign-in answered ${answer.status} ${JSON.stringify(answer.json)}`);
    portalCookie = answer.cookies.map((c) => c.split(';')[0]!).join('; ');
  };
  let portalCookie = '';
  const getOk = async (path: string, headers: Record<string, string>) => {
    const response = await fetch(`${app.url}${path}`, { headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status} ${text.slice(0, 300)}`);
  };
  const portalInfo = () => getOk(`/api/portal/${PORTAL_ALIAS}`, {});
  const portalMe = () => getOk(`/api/portal/${PORTAL_ALIAS}/me`, { cookie: portalCookie });
  const adminList = () => getOk('/api/admin/users?limit=50', { authorization: `Bearer ${admin.apiKey}` });

  // SAML: an IdP key pair, the SP configured and applied; each ACS post answers a fresh /saml/login with a response
  // signed for it by xmlsec1 (outside the measured request).
  const keys = makeKeyPair();
  const spEntityId = `${app.url}/saml/metadata`;
  await adminApi('PUT', '/saml', {
    yaml: `version: "1.0"
config:
  entityId: ${IDP_ENTITY_ID}
  singleSignOnServiceUrl: https://idp.example.test/saml/sso
  spEntityId: ${spEntityId}
  certificate: ${keys.certificateBase64}
  claimEmail: ${CLAIMS.email}
  claimFirstName: ${CLAIMS.firstName}
  claimLastName: ${CLAIMS.lastName}
  claimLanguage: ${CLAIMS.language}
  allowIdpInitiated: false
`,
    allowSignIn: true,
  });
  await adminApi('POST', '/saml/apply', {});
  const office = await adminApi<{ id: string }>('POST', '/offices', { name: 'Bench office' });
  const group = await adminApi<{ id: string }>('POST', '/groups', { name: 'Bench group' });
  // The typical script of bench/script-engine.ts, on this deployment's claims, office and group.
  await adminApi('PUT', '/sign-in-script', {
    source: `version: 1
actions:
  - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: "${CLAIMS.lastName}", index: 0 } } }
  - SetValue: { object: { var: Context.User }, field: firstName, value: { GetEntry: { key: "${CLAIMS.firstName}", index: 0 } } }
  - IfThenElse:
      if: { IsEmpty: { GetEntry: { key: "${CLAIMS.language}" } } }
      then: [ { SetValue: { object: { var: Context.User }, field: language, value: en } } ]
      else: [ { SetValue: { object: { var: Context.User }, field: language, value: { GetEntry: { key: "${CLAIMS.language}", index: 0 } } } } ]
  - SaveInstance: { object: { var: Context.User } }
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: ${CLAIMS.role}, index: 0 } }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${office.id}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${group.id}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${group.id}" }
`,
  });
  await adminApi('PUT', '/sign-in-script/enabled', { enabled: false });
  let samlUser = 0;
  const prepareAcs = async () => {
    const ip = freshIp();
    const login = await fetch(`${app.url}/saml/login`, { headers: { 'cf-connecting-ip': ip }, redirect: 'manual' });
    await login.arrayBuffer();
    if (login.status !== 302) throw new Error(`/saml/login answered ${login.status}`);
    const location = new URL(login.headers.get('location')!);
    const authnRequest = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    const requestId = /\bID="([^"]+)"/.exec(authnRequest)![1]!;
    // Alternating users: the script's writes (names, language, memberships) are real changes on every sign-in.
    const email = `saml.user.${samlUser++ % 2}@example.test`;
    const xml = await signResponse(
      {
        audience: spEntityId,
        acs: `${app.url}/saml/acs`,
        issuer: IDP_ENTITY_ID,
        email,
        inResponseTo: requestId,
        attributes: {
          [CLAIMS.email]: [email],
          [CLAIMS.firstName]: ['Grace'],
          [CLAIMS.lastName]: [`Hopper ${samlUser}`],
          [CLAIMS.language]: [samlUser % 2 ? 'de' : 'en'],
          [CLAIMS.role]: [samlUser % 2 ? 'admin' : 'user'],
        },
      },
      keys,
    );
    const form = new URLSearchParams({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') });
    const relayState = location.searchParams.get('RelayState');
    if (relayState) form.set('RelayState', relayState);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    pendingAcs = () =>
      fetch(`${app.url}/saml/acs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': ip, cookie },
        body: form.toString(),
        redirect: 'manual',
      });
  };
  let pendingAcs: (() => Promise<Response>) | null = null;
  const postAcs = async () => {
    const send = pendingAcs!;
    pendingAcs = null;
    const response = await send();
    const body = await response.text();
    const signedIn = response.status === 303 && response.headers.getSetCookie().some((c) => /^(__Host-)?eid_session=/.test(c));
    if (!signedIn) throw new Error(`/saml/acs answered ${response.status} without a session: ${body.slice(0, 300)}`);
  };

  return {
    verifyUsers: verifyUsers.length,
    requests: {
      health: { send: async () => void (await (await fetch(`${app.url}/health`)).arrayBuffer()) },
      verify: { send: verify },
      password: { send: password },
      portalInfo: { send: portalInfo },
      portalStart: { send: portalStart },
      portalPassword: { prepare: portalStart, send: portalPassword },
      // The portal's session from the sign-ins measured before it in the round.
      portalMe: { send: portalMe },
      adminList: { send: adminList },
      acs: { prepare: prepareAcs, send: postAcs },
      acsScript: { prepare: prepareAcs, send: postAcs },
    },
    enableScript: () => adminApi('PUT', '/sign-in-script/enabled', { enabled: true }),
  };
}

function makeKeyPair() {
  const key = join(WORK_DIR, 'idp.key');
  const crt = join(WORK_DIR, 'idp.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-days', '30', '-subj', '/CN=bench-idp.example.test', '-keyout', key, '-out', crt], {
    stdio: 'ignore',
  });
  const certificateBase64 = readFileSync(crt, 'utf8')
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  return { key, crt, certificateBase64 };
}

// ---------------------------------------------------------------- report

/** One kind's medians: the Worker isolate's CPU, the whole local workerd process's (D1 included), wall time. */
interface MeasuredCost {
  isolateCpuMs: number;
  processCpuMs: number;
  wallMs: number;
  n: number;
}

interface ReportInput {
  startedAt: Date;
  load: [number, number];
  bundle: WorkerBundle;
  samples: Map<KindName, Sample[]>;
  /** workerd's CPU for one PBKDF2 alone, median of this run. */
  pbkdf2Ms: number;
  tailCpu: number[];
  setup: Setup;
  targets: string[];
  refused: string[];
  activityRows: ActivityRows;
}

interface ActivityRows {
  rows: number;
  /** Mean bytes of the row's values, as written by this run's requests. */
  payloadBytes: number;
  /** Estimated bytes on disk per row: values + the primary key and the two indexes' entries, B-tree pages ~75 % full. */
  storedBytes: number;
}

/** What one activity row of this run's requests takes: the table the 90-day log grows in (bench/scale.ts uses it). */
async function measureActivityRows(db: D1Database): Promise<ActivityRows> {
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS rows,
              AVG(LENGTH(id) + IFNULL(LENGTH(user_id), 0) + IFNULL(LENGTH(login), 0) + LENGTH(type) + LENGTH(channel)
                  + IFNULL(LENGTH(ip), 0) + IFNULL(LENGTH(client), 0) + LENGTH(detail) + 8) AS payload,
              AVG(LENGTH(id)) AS id, AVG(IFNULL(LENGTH(user_id), 0)) AS userId
         FROM user_activities`,
    )
    .first<{ rows: number; payload: number; id: number; userId: number }>();
  if (!row || row.rows === 0) throw new Error('the run wrote no activity rows');
  // Index entries: id + rowid (the text primary key's index), at + rowid, user_id + at + rowid; ~10 bytes of
  // cell header and pointer per entry, four entries per row.
  const indexBytes = row.id + 8 + (8 + 8) + (row.userId + 8 + 8) + 4 * 10;
  return { rows: row.rows, payloadBytes: row.payload, storedBytes: Math.round((row.payload + indexBytes) / 0.75) };
}

function writeReport(input: ReportInput): { summary: string; freeMet: boolean } {
  const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
  const rows: string[] = [];
  const verdicts: string[] = [];
  let freeMet = true;
  for (const kind of Object.keys(KIND_LABELS) as KindName[]) {
    const list = input.samples.get(kind) ?? [];
    if (list.length === 0) continue;
    const isolate = list.map((s) => s.isolateMs).sort((a, b) => a - b);
    const processCpu = median(list.map((s) => s.processMs));
    const wall = median(list.map((s) => s.wallMs));
    const med = median(isolate);
    const p90 = isolate[Math.min(isolate.length - 1, Math.floor(isolate.length * 0.9))]!;
    const max = isolate[isolate.length - 1]!;
    const overFree = isolate.filter((ms) => ms > FREE_CPU_LIMIT_MS).length;
    if (med > FREE_CPU_LIMIT_MS) freeMet = false;
    rows.push(
      `| ${KIND_LABELS[kind]} | ${fmt(med)} | ${(med / input.pbkdf2Ms).toFixed(2)} | ${fmt(p90)} | ${fmt(max)} | ${Math.round((100 * med) / FREE_CPU_LIMIT_MS)} % | ${overFree}/${list.length} | ${((100 * med) / PAID_DEFAULT_CPU_LIMIT_MS).toFixed(3)} % | ${fmt(processCpu)} | ${Math.round(100 * median(list.map((s) => s.share)))} % | ${fmt(wall)} | ${hotspotsOf(list)} |`,
    );
    verdicts.push(`${kind}: ${fmt(med)} ms (${Math.round((100 * med) / FREE_CPU_LIMIT_MS)} % of Free)`);
  }
  const planSection = planSectionOf(input.samples, input.pbkdf2Ms);
  const undercount = median(
    [...input.samples.values()].flat().filter((s) => s.sampledMs > 0).map((s) => s.isolateMs / s.sampledMs),
  );
  const tailNonZero = input.tailCpu.filter((t) => t !== 0).length;
  const versions = (() => {
    try {
      return execFileSync(join(REPO_ROOT, 'node_modules/.bin/workerd'), ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'workerd (version unknown)';
    }
  })();
  const markdown = `# CPU time per request against the Workers plans' limits

Written by \`npm run bench -- cpu\` (\`bench/cpu.ts\`) on ${input.startedAt.toISOString()} with Node ${process.version},
${versions}, load average ${input.load[0].toFixed(1)} at the start and ${input.load[1].toFixed(1)} at the end (a
2-core machine shared with other work: medians of ${ROUNDS} requests of each kind, after ${WARMUP_ROUNDS} warm-up
rounds, kinds interleaved round-robin).

| Request | CPU median (ms) | in PBKDF2s | p90 | max | of Free's 10 ms | over 10 ms | of Paid's 30 s | workerd process CPU, median (ms) | Worker's share of it | wall, median (ms) | Where the Worker's time goes (self, share of samples) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

**CPU** is the Worker isolate's own CPU time per request (see below), the figure Cloudflare compares with the
plan's limit. **in PBKDF2s**: that CPU over one PBKDF2-SHA256 at ${PBKDF2_ITERATIONS.toLocaleString('en')} iterations alone (one password
check's key derivation, ${input.pbkdf2Ms.toFixed(1)} ms median in this run, in a Worker of the same workerd between the rounds):
a busy machine slows both alike, so this column moves less with the load than the milliseconds do (on a quiet
machine of this type one PBKDF2 takes about ${QUIET_PBKDF2_MS} ms, issue 14 §4). **workerd process CPU** is workerd's main thread for the same kind of request, unprofiled: an upper
bound that includes Miniflare's local D1 (SQLite in a Durable Object of the same process, about 1-2 ms of CPU per
D1 call here), which Cloudflare does not bill to the Worker.

${planSection}

## How it was measured

- The Worker is the bundle \`wrangler deploy --dry-run\` produces (${(input.bundle.bundleBytes / 1024).toFixed(0)} KiB), in workerd through Miniflare with
  a local on-disk D1 (migrations applied, the admin seeded by scripts/seed.ts, everything else made through the
  admin API), compatibility date ${input.bundle.compatibilityDate}. Every measured request is a real success: verify accepted
  (HOTP hardware tokens, ${input.setup.verifyUsers} users, codes from \`bench/lib/hotp.ts\`), the sign-ins answered signed in,
  each ACS post a fresh SP-initiated response signed by xmlsec1 and answered with a session; the script phase
  alternates two users so that its saves and memberships are real changes.
- **workerd does not measure CPU time.** A tail Worker beside ours received ${input.tailCpu.length} tail events: ${tailNonZero === 0 ? 'every one had `cpuTime` 0' : `${tailNonZero} had a non-zero \`cpuTime\` (this workerd measures it now: compare)`}.
  Cloudflare's runtime fills that field; workerd leaves it at 0.
- **The Worker's CPU** is the CPU of workerd's main thread for the request (schedstat; every isolate and the
  event loop run on it, V8's background GC and compiler threads are left out) times the Worker
  isolate's share of the busy samples of all ${input.targets.length} isolates in the process (${input.targets.map((t) => `\`${t}\``).join(', ')}${input.refused.length ? `; ${input.refused.map((t) => `\`${t}\``).join(', ')} refused a session: Miniflare's proxy to Node, on no measured request's path` : ''}),
  from V8's sampling profiler on each (Chrome DevTools Protocol on workerd's inspector, ${SAMPLING_INTERVAL_US} µs interval). V8 samples
  an isolate only while it is entered: its JavaScript and the native work it calls (WebCrypto's PBKDF2, HMAC,
  RSA), not while it waits on D1 or while D1's isolate runs SQLite on the same thread. A ratio of samples taken the
  same way is immune to the ticks a loaded machine makes the samplers miss (their absolute count is not: in this run
  the Worker's samples x interval came to 1/${undercount.toFixed(1)} of its CPU so found, median over all requests). Work outside every isolate (sockets, HTTP parsing, RPC between isolates) is split in the
  same ratio, which errs on the Worker's side. Each request's shares come from a profiled twin of the same kind
  sent right after it; the unprofiled one gives the process CPU and the wall time.
- **Activity rows** (for \`bench/scale.ts\`): the ${input.activityRows.rows.toLocaleString('en')} rows this run wrote hold ${Math.round(input.activityRows.payloadBytes)} bytes of values on average;
  with the primary key's and the two indexes' entries and B-tree pages about 75 % full, about ${input.activityRows.storedBytes} bytes on disk each.
- What this leaves out: Cloudflare's own accounting (which also counts a request's share of garbage collection
  and of JSON/HTML work done after the response is handed over) can differ by some tenths of a millisecond;
  isolate start-up (script evaluation, counted against a separate start-up limit) is not in any row.
`;
  writeFileSync(RESULTS_FILE, markdown);
  const costs: Record<string, MeasuredCost> = {};
  for (const [kind, list] of input.samples) {
    costs[kind] = { isolateCpuMs: median(list.map((s) => s.isolateMs)), processCpuMs: median(list.map((s) => s.processMs)), wallMs: median(list.map((s) => s.wallMs)), n: list.length };
  }
  writeFileSync(COSTS_FILE, JSON.stringify({ writtenAt: input.startedAt.toISOString(), loadAverage: input.load, pbkdf2CpuMs: input.pbkdf2Ms, costs, activityRows: input.activityRows }, null, 2) + '\n');
  return { summary: verdicts.join('\n'), freeMet };
}

/**
 * The plan the measured figures call for. The judgement uses each kind's CPU in PBKDF2s (the yardstick measured in
 * the same run), so a loaded machine does not move a kind across Free's limit: a kind at 0.8 PBKDF2 or more is at or
 * over 10 ms wherever one password check's derivation takes about 10 ms (QUIET_PBKDF2_MS, measured on a quiet
 * machine of this type). Paid's default 30 s is the next step up.
 */
function planSectionOf(samples: Map<KindName, Sample[]>, pbkdf2Ms: number): string {
  const kinds = [...samples].map(([kind, list]) => {
    const med = median(list.map((s) => s.isolateMs));
    return { kind, median: med, inPbkdf2: med / pbkdf2Ms };
  });
  const overFree = kinds.filter((k) => k.inPbkdf2 * QUIET_PBKDF2_MS >= FREE_CPU_LIMIT_MS * 0.8);
  const loadedOnly = kinds.filter((k) => k.median > FREE_CPU_LIMIT_MS && !overFree.includes(k));
  const costliest = kinds.reduce((a, b) => (b.median > a.median ? b : a));
  const quiet = (k: (typeof kinds)[number]) => `about ${(k.inPbkdf2 * QUIET_PBKDF2_MS).toFixed(1)} ms on a quiet machine`;
  const lines = ['## What it means for the plan', ''];
  if (overFree.length > 0) {
    lines.push(
      `- **Workers Free (10 ms per request) is not enough.** At or over its limit on any machine: ${overFree.map((k) => `${KIND_LABELS[k.kind]} (${k.inPbkdf2.toFixed(2)} PBKDF2s, ${quiet(k)})`).join(', ')}.`,
      `  A password check is PBKDF2-SHA256 at ${PBKDF2_ITERATIONS.toLocaleString('en')} iterations (workerd's cap, \`worker/constants.ts\`), about 10 ms of CPU alone, so`,
      '  every request that checks a password (the sign-ins, the password change and reset) fails on Free, at random as',
      '  the limit is enforced with some slack, with error 1102 ("Worker exceeded resource limits").',
    );
  } else {
    lines.push(`- Every kind stays under 80 % of Free's 10 ms on a quiet machine; the costliest is ${KIND_LABELS[costliest.kind]}.`);
  }
  if (loadedOnly.length > 0) {
    lines.push(`- Over 10 ms in this loaded run only: ${loadedOnly.map((k) => `${KIND_LABELS[k.kind]} (${k.median.toFixed(1)} ms here, ${quiet(k)})`).join(', ')}: within Free's limit but without much margin.`);
  }
  lines.push(
    `- **Workers Paid with the default 30 s** carries every kind: the costliest median is ${((100 * costliest.median) / PAID_DEFAULT_CPU_LIMIT_MS).toFixed(3)} % of it, even on this loaded machine.`,
    `  The product needs no \`limits.cpu_ms\` (at most ${PAID_MAX_CPU_LIMIT_MS.toLocaleString('en')} ms); the README's deploy section says why \`wrangler.toml\` sets none.`,
  );
  return lines.join('\n');
}

/** The three functions with the most self samples over all requests of a kind. */
function hotspotsOf(list: Sample[]): string {
  const totals = new Map<string, number>();
  let all = 0;
  for (const sample of list)
    for (const [name, count] of sample.hotspots) {
      totals.set(name, (totals.get(name) ?? 0) + count);
      all += count;
    }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, count]) => `\`${name}\` ${Math.round((100 * count) / all)} %`)
    .join(', ');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function randomText(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex');
}

function log(message: string): void {
  console.log(`[cpu] ${message}`);
}

await main();
