/**
 * `npm run bench -- scale`: replays a synthetic working day of traffic (verifies, sign-ins, SMS, portal, admin)
 * against a queue model of each design in docs/scale.md, priced with the costs `npm run bench -- cpu` measured
 * (bench/results/cpu.json), at 1x, 10x, 100x and 1,000x today's demo load, and writes where each design saturates
 * to bench/results/scale.md. Deterministic (seeded); runs in seconds.
 *
 * The model (bench/lib/queue-model.ts; tested in test/node/queue-model.test.ts):
 * - A D1 database and a Durable Object each execute one request at a time: a FIFO single server. Its service time
 *   for a request is the CPU the local D1 spent on it in the cpu benchmark (workerd's CPU for the request minus the
 *   Worker isolate's: SQLite and the Durable Object D1 runs in, the same structure as D1 in production).
 * - Workers themselves are not a queue: Cloudflare runs as many isolates as the load needs. They enter as CPU per
 *   request against the plan's limit and CPU-seconds per day.
 * - Arrivals are Poisson within each minute at the minute's rate from the diurnal curve. Utilisation and the
 *   M/G/1 wait come from the busiest minute; the request-by-request simulation covers the two busiest hours.
 * - Storage: the activity log's 90 days against D1's 10 GB per database, at the bytes per row the cpu run measured.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIVITY_RETENTION_DAYS, VERIFY_ATTEMPTS_PER_USER, VERIFY_WINDOW_MS } from '../worker/constants';
import { mg1, simulateFifo, type RequestClass } from './lib/queue-model';
import { REPO_ROOT } from './lib/worker';

const COSTS_FILE = join(REPO_ROOT, 'bench/results/cpu.json');
const RESULTS_FILE = join(REPO_ROOT, 'bench/results/scale.md');
const SEED = 20261201;
const SCALES = [1, 10, 100, 1000] as const;

// ---------------------------------------------------------------- published limits (docs/scale.md cites them)
/** D1: one database holds at most 10 GB (Workers Paid). */
const D1_MAX_BYTES = 10 * 1024 ** 3;
/** Workers Free: 100,000 requests per day, 10 ms of CPU each. */
const FREE_REQUESTS_PER_DAY = 100_000;
const FREE_CPU_MS = 10;

// ---------------------------------------------------------------- today's demo load (1x)
/** The demo deployment: one organisation of this many users. */
const DEMO_USERS = 1000;

/** What the cpu benchmark measured, per kind of request (medians). */
interface MeasuredCost {
  isolateCpuMs: number;
  processCpuMs: number;
}
interface CostsFile {
  writtenAt: string;
  loadAverage: [number, number];
  costs: Record<string, MeasuredCost>;
  activityRows: { rows: number; payloadBytes: number; storedBytes: number };
}

/**
 * One kind of traffic: how often (per user per working day, or per 1,000 users for admin work), which measured
 * request prices it, and what it does to the database.
 */
interface TrafficKind {
  name: string;
  perUserPerDay: number;
  /** Measured kinds (cpu.json) one such request consists of. */
  measured: string[];
  /** Said when the kind was not measured itself and is priced as the nearest measured one. */
  pricedAs?: string;
  /** Only reads: a D1 read replica can serve it. */
  readOnly: boolean;
  /** Activity rows it writes. */
  activities: number;
  /** The hot verification state (counters, fail counts, locks, used steps, challenge codes) is most of its D1 work. */
  hotTokenState: boolean;
}

/**
 * A working day per user: VPN/app sign-ins through the verify API several times a day, a SAML sign-in to the
 * portal apps twice, the odd password sign-in and portal visit; SMS for the users without an app; an admin who
 * looks at lists and changes a few things.
 */
const TRAFFIC: TrafficKind[] = [
  { name: 'verify (API)', perUserPerDay: 8, measured: ['verify'], readOnly: false, activities: 1, hotTokenState: true },
  { name: 'password sign-in (/login)', perUserPerDay: 0.5, measured: ['password'], readOnly: false, activities: 1, hotTokenState: false },
  { name: 'portal sign-in (2 requests)', perUserPerDay: 0.3, measured: ['portalStart', 'portalPassword'], readOnly: false, activities: 1, hotTokenState: false },
  { name: 'portal page reads', perUserPerDay: 0.6, measured: ['portalInfo', 'portalMe'], readOnly: true, activities: 0, hotTokenState: false },
  { name: 'SAML sign-in with script', perUserPerDay: 2, measured: ['acsScript'], readOnly: false, activities: 1, hotTokenState: false },
  {
    name: 'SMS code sent',
    perUserPerDay: 0.3,
    measured: ['portalStart'],
    pricedAs: 'a portal sign-in start (a flow row, a code, an outbox row)',
    readOnly: false,
    activities: 1,
    hotTokenState: true,
  },
  {
    name: 'portal action',
    perUserPerDay: 0.05,
    measured: ['portalPassword'],
    pricedAs: "the portal's password step (reads, a write, an activity)",
    readOnly: false,
    activities: 1,
    hotTokenState: false,
  },
  { name: 'admin list view', perUserPerDay: 0.4, measured: ['adminList'], readOnly: true, activities: 0, hotTokenState: false },
  {
    name: 'admin change',
    perUserPerDay: 0.05,
    measured: ['portalPassword'],
    pricedAs: "the portal's password step (reads, a write, an activity)",
    readOnly: false,
    activities: 1,
    hotTokenState: false,
  },
];

/**
 * Share of the day's traffic in each minute: a working day in one time zone (an 08:30-09:30 sign-in wave, a
 * smaller one after lunch, a quiet night). Normalised to sum 1.
 */
function diurnalShares(): number[] {
  const gauss = (hour: number, centre: number, width: number) => Math.exp(-0.5 * ((hour - centre) / width) ** 2);
  const raw = Array.from({ length: 1440 }, (_, minute) => {
    const hour = minute / 60;
    return 0.04 + 1.0 * gauss(hour, 8.9, 0.55) + 0.45 * gauss(hour, 13.4, 1.2) + 0.3 * gauss(hour, 11, 2.5) + 0.15 * gauss(hour, 16.5, 1.5);
  });
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / total);
}

// ---------------------------------------------------------------- designs

/** A server in a design: the load it gets is a share of each traffic kind at a service time. */
interface ServerLoad {
  server: string;
  /** Per traffic kind: the fraction of its requests this server sees, and the service time of each. */
  demand: (kind: TrafficKind) => { fraction: number; serviceMs: number } | null;
  /** Bytes this server's database holds at a scale, or null (no size limit that matters). */
  storedBytes?: (scale: number) => number;
  /** The server is one of many equal ones (one per tenant/object): what it sees is its share. */
  note?: string;
}

interface Design {
  name: string;
  summary: string;
  servers: (scale: number) => ServerLoad[];
}

interface Pricing {
  /** D1 service time of one request of a kind. */
  d1Ms: (kind: TrafficKind) => number;
  /** D1 service time of one activity INSERT on its own: a one-statement D1 call. */
  activityMs: number;
  activityBytes: number;
}

function designs(pricing: Pricing, activitiesPerUserPerDay: number): Design[] {
  const { d1Ms, activityMs, activityBytes } = pricing;
  const activityStore = (scale: number, days: number) => DEMO_USERS * scale * activitiesPerUserPerDay * days * activityBytes;
  /** A request with its activity rows moved elsewhere: what is left of its D1 work (never below a tenth of it). */
  const withoutActivities = (kind: TrafficKind) => Math.max(d1Ms(kind) * 0.1, d1Ms(kind) - kind.activities * activityMs);
  /**
   * With the hot verification state in per-token Durable Objects, a verify keeps on D1 only what an admin sees
   * (its activity row) and the occasional read of a record the isolate has no fresh copy of (issue 14 §1).
   */
  const ISOLATE_CACHE_MISS = 0.05;
  const hotStateLeft = (kind: TrafficKind) => (kind.hotTokenState ? kind.activities * activityMs + ISOLATE_CACHE_MISS * d1Ms(kind) : d1Ms(kind));
  /** The busiest token's object: a user cannot verify faster than the verify rate limit allows. */
  const hottestObject: ServerLoad = {
    server: 'token Durable Object (the busiest)',
    note: `at most ${VERIFY_ATTEMPTS_PER_USER} verifies per ${VERIFY_WINDOW_MS / 60_000} min per user (the rate limit), whatever the scale`,
    demand: () => null,
  };
  const tenants = (scale: number) => Math.max(1, Math.round(scale));
  /** Zipf(1) tenant sizes: the largest of T tenants has 1/H_T of the users. */
  const largestTenantShare = (scale: number) => {
    const t = tenants(scale);
    let harmonic = 0;
    for (let i = 1; i <= t; i++) harmonic += 1 / i;
    return 1 / harmonic;
  };
  return [
    {
      name: 'A. One D1 (today)',
      summary: 'every statement on one D1 database',
      servers: (scale) => [
        { server: 'auth D1', demand: (kind) => ({ fraction: 1, serviceMs: d1Ms(kind) }), storedBytes: () => activityStore(scale, ACTIVITY_RETENTION_DAYS) },
      ],
    },
    {
      name: 'B. + read replicas',
      summary: 'A, with the admin and portal reads on D1 read replicas (Sessions API)',
      servers: (scale) => [
        { server: 'auth D1 primary', demand: (kind) => (kind.readOnly ? null : { fraction: 1, serviceMs: d1Ms(kind) }), storedBytes: () => activityStore(scale, ACTIVITY_RETENTION_DAYS) },
        // One region's users all reach the same replica: the worst case.
        { server: 'read replica (one region)', demand: (kind) => (kind.readOnly ? { fraction: 1, serviceMs: d1Ms(kind) } : null) },
      ],
    },
    {
      name: 'C. + per-token Durable Objects',
      summary: 'B, with the hot verification state in a SQLite Durable Object per token',
      servers: (scale) => [
        {
          server: 'auth D1 primary',
          demand: (kind) => (kind.readOnly ? null : { fraction: 1, serviceMs: hotStateLeft(kind) }),
          storedBytes: () => activityStore(scale, ACTIVITY_RETENTION_DAYS),
        },
        { server: 'read replica (one region)', demand: (kind) => (kind.readOnly ? { fraction: 1, serviceMs: d1Ms(kind) } : null) },
        hottestObject,
      ],
    },
    {
      name: 'D. + activities off the auth database',
      summary: 'C, with the activity rows in a D1 database per day (or Analytics Engine, R2 for the archive)',
      servers: (scale) => [
        {
          server: 'auth D1 primary',
          demand: (kind) => (kind.readOnly ? null : { fraction: 1, serviceMs: kind.hotTokenState ? ISOLATE_CACHE_MISS * d1Ms(kind) : withoutActivities(kind) }),
        },
        { server: 'read replica (one region)', demand: (kind) => (kind.readOnly ? { fraction: 1, serviceMs: d1Ms(kind) } : null) },
        hottestObject,
        {
          server: "activity D1 (today's)",
          demand: (kind) => (kind.activities > 0 ? { fraction: 1, serviceMs: kind.activities * activityMs } : null),
          storedBytes: () => activityStore(scale, 1),
        },
      ],
    },
    {
      name: 'E. + a D1 per tenant',
      summary: 'D, with one auth and one activity database per organisation; the largest tenant decides',
      servers: (scale) => {
        const share = largestTenantShare(scale);
        const tenantNote = `${tenants(scale).toLocaleString('en')} tenant${tenants(scale) === 1 ? '' : 's'} of Zipf(1) sizes: the largest has ${(100 * share).toFixed(1)} % of the users`;
        return [
          {
            server: 'largest tenant: auth D1 primary',
            note: tenantNote,
            demand: (kind) => (kind.readOnly ? null : { fraction: share, serviceMs: kind.hotTokenState ? ISOLATE_CACHE_MISS * d1Ms(kind) : withoutActivities(kind) }),
          },
          { server: 'largest tenant: read replica', demand: (kind) => (kind.readOnly ? { fraction: share, serviceMs: d1Ms(kind) } : null) },
          hottestObject,
          {
            server: 'largest tenant: activity D1 (per day)',
            demand: (kind) => (kind.activities > 0 ? { fraction: share, serviceMs: kind.activities * activityMs } : null),
            storedBytes: () => activityStore(scale, 1) * share,
          },
        ];
      },
    },
  ];
}

// ---------------------------------------------------------------- the run

interface ServerResult {
  server: string;
  note?: string;
  peakUtilisation: number;
  peakMeanWaitMs: number;
  simulated: ReturnType<typeof simulateFifo> | null;
  storedBytes: number | null;
  /** Utilisation under 1 and the database within 10 GB. */
  fits: boolean;
  /** What fails first when it does not fit. */
  firstLimit: string;
}

interface Saturation {
  /** The multiple of today's load at which the design first fails. */
  at: number;
  what: string;
  /** The multiple at which one of its queues reaches utilisation 1, whatever the storage. */
  queueAt: number;
}

/** Work left queued after the peak hours beyond which the server is said to have fallen behind. */
const SATURATED_BACKLOG_MS = 1000;

/** How far the search for a design's limit goes. */
const MAX_MULTIPLE = 100_000;

function main(): void {
  const startedMs = Date.now();
  if (!existsSync(COSTS_FILE)) throw new Error(`${COSTS_FILE} is missing: run \`npm run bench -- cpu\` first, it measures the costs this model uses`);
  const measured = JSON.parse(readFileSync(COSTS_FILE, 'utf8')) as CostsFile;
  const cost = (name: string) => {
    const c = measured.costs[name];
    if (!c) throw new Error(`cpu.json has no measured cost for ${name}: run \`npm run bench -- cpu\` again`);
    return c;
  };
  const d1MsOfMeasured = (name: string) => Math.max(0, cost(name).processCpuMs - cost(name).isolateCpuMs);
  const pricing: Pricing = {
    d1Ms: (kind) => kind.measured.reduce((sum, name) => sum + d1MsOfMeasured(name), 0),
    // The portal lookup is one D1 call of one statement: the price of an activity INSERT sent on its own.
    activityMs: d1MsOfMeasured('portalInfo'),
    activityBytes: measured.activityRows.storedBytes,
  };
  const workerCpuMs = (kind: TrafficKind) => kind.measured.reduce((sum, name) => sum + cost(name).isolateCpuMs, 0);
  const workerRequests = (kind: TrafficKind) => kind.measured.length;
  const activitiesPerUserPerDay = TRAFFIC.reduce((sum, k) => sum + k.perUserPerDay * k.activities, 0);
  const shares = diurnalShares();
  const peakMinute = shares.indexOf(Math.max(...shares));
  const peakFactor = Math.max(...shares) * 1440;
  // The two busiest hours: the 120-minute window with the most traffic.
  let windowStart = 0;
  let best = -1;
  for (let start = 0; start + 120 <= 1440; start++) {
    const sum = shares.slice(start, start + 120).reduce((a, b) => a + b, 0);
    if (sum > best) [best, windowStart] = [sum, start];
  }

  const allDesigns = designs(pricing, activitiesPerUserPerDay);
  const window = shares.slice(windowStart, windowStart + 120);
  let seed = SEED;
  const analyse = (design: Design, scale: number, simulate: boolean): ServerResult[] => {
    const users = DEMO_USERS * scale;
    return design.servers(scale).map((server) => {
      const classesAt = (share: number): RequestClass[] =>
        TRAFFIC.flatMap((kind) => {
          const d = server.demand(kind);
          if (!d || d.serviceMs === 0) return [];
          return [{ ratePerSecond: (users * kind.perUserPerDay * d.fraction * share) / 60, serviceMs: d.serviceMs }];
        });
      let peak: ReturnType<typeof mg1>;
      let simulated: ServerResult['simulated'] = null;
      if (server.server.startsWith('token Durable Object')) {
        const verify = TRAFFIC.find((k) => k.hotTokenState)!;
        const ratePerSecond = VERIFY_ATTEMPTS_PER_USER / (VERIFY_WINDOW_MS / 1000);
        peak = mg1([{ ratePerSecond, serviceMs: pricing.d1Ms(verify) }]);
      } else {
        peak = mg1(classesAt(shares[peakMinute]!));
        if (simulate) simulated = simulateFifo(window.map((share) => classesAt(share)), seed++);
      }
      const storedBytes = server.storedBytes ? server.storedBytes(scale) : null;
      return {
        server: server.server,
        note: server.note,
        peakUtilisation: peak.utilisation,
        peakMeanWaitMs: peak.meanWaitMs,
        simulated,
        storedBytes,
        fits: peak.utilisation < 1 && (storedBytes === null || storedBytes <= D1_MAX_BYTES),
        firstLimit: peak.utilisation >= 1 ? `${server.server}: queue (utilisation 1)` : `${server.server}: 10 GB`,
      };
    });
  };
  const results = new Map<string, Map<number, ServerResult[]>>();
  const saturations = new Map<string, Saturation>();
  for (const design of allDesigns) {
    results.set(design.name, new Map(SCALES.map((scale) => [scale, analyse(design, scale, true)])));
    // The load a design carries: the first multiple of today's (in 2 % steps) at which one of its servers fails,
    // and apart from that the first at which a queue does (a shorter retention can move the storage limit).
    let saturation: Saturation = { at: Infinity, what: `nothing up to ${int(MAX_MULTIPLE)}x`, queueAt: Infinity };
    for (let multiple = 1; multiple <= MAX_MULTIPLE; multiple *= 1.02) {
      const analysed = analyse(design, multiple, false);
      const failing = analysed.find((r) => !r.fits);
      if (failing && saturation.at === Infinity) saturation = { ...saturation, at: multiple, what: failing.firstLimit };
      if (analysed.some((r) => r.peakUtilisation >= 1)) {
        saturation.queueAt = multiple;
        break;
      }
    }
    saturations.set(design.name, saturation);
  }

  const markdown = report({
    measured,
    pricing,
    shares,
    peakMinute,
    peakFactor,
    windowStart,
    activitiesPerUserPerDay,
    designs: allDesigns,
    results,
    saturations,
    workerCpuMs,
    workerRequests,
    seconds: (Date.now() - startedMs) / 1000,
  });
  writeFileSync(RESULTS_FILE, markdown);
  console.log(allDesigns.map((d) => `${d.name.padEnd(40)} saturates at ${times(saturations.get(d.name)!.at)} today's load (${saturations.get(d.name)!.what})`).join('\n'));
  console.log(`\nwrote ${RESULTS_FILE}`);
}

// ---------------------------------------------------------------- report

interface ReportInput {
  measured: CostsFile;
  pricing: Pricing;
  shares: number[];
  peakMinute: number;
  peakFactor: number;
  windowStart: number;
  activitiesPerUserPerDay: number;
  designs: Design[];
  results: Map<string, Map<number, ServerResult[]>>;
  saturations: Map<string, Saturation>;
  workerCpuMs: (kind: TrafficKind) => number;
  workerRequests: (kind: TrafficKind) => number;
  seconds: number;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const clock = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const bytes = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GB` : `${(b / 1024 ** 2).toFixed(0)} MB`);
const ms = (v: number) => (!Number.isFinite(v) ? '∞' : v >= 10_000 ? `${(v / 1000).toFixed(0)} s` : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(2)} ms`);
const times = (v: number) => (!Number.isFinite(v) ? 'unbounded' : v >= 100 ? `${int(v)}x` : `${v.toFixed(1)}x`);

function report(input: ReportInput): string {
  const { measured, pricing, shares, peakMinute, peakFactor, windowStart, results } = input;
  const loadRows = SCALES.map((scale) => {
    const users = DEMO_USERS * scale;
    const perDay = (k: TrafficKind) => users * k.perUserPerDay;
    const verify = TRAFFIC[0]!;
    const requestsPerDay = TRAFFIC.reduce((sum, k) => sum + perDay(k) * input.workerRequests(k), 0);
    const cpuSecondsPerDay = TRAFFIC.reduce((sum, k) => sum + (perDay(k) * input.workerCpuMs(k)) / 1000, 0);
    const activities = users * input.activitiesPerUserPerDay;
    return `| ${scale}x | ${int(users)} | ${int(requestsPerDay)} | ${((perDay(verify) * shares[peakMinute]!) / 60).toFixed(1)} | ${((requestsPerDay * shares[peakMinute]!) / 60).toFixed(1)} | ${int(activities)} | ${bytes(activities * ACTIVITY_RETENTION_DAYS * pricing.activityBytes)} | ${int(cpuSecondsPerDay)} | ${requestsPerDay > FREE_REQUESTS_PER_DAY ? 'no' : 'yes'} |`;
  });
  const trafficRows = TRAFFIC.map((k) => {
    const cpu = input.workerCpuMs(k) / input.workerRequests(k);
    return `| ${k.name} | ${k.perUserPerDay} | ${k.measured.map((m) => `\`${m}\``).join(' + ')}${k.pricedAs ? ` (priced as ${k.pricedAs})` : ''} | ${pricing.d1Ms(k).toFixed(2)} | ${input.workerCpuMs(k).toFixed(2)}${cpu > FREE_CPU_MS ? ' (over 10 ms in the cpu run)' : ''} | ${k.readOnly ? 'yes' : 'no'} | ${k.activities} | ${k.hotTokenState ? 'yes' : 'no'} |`;
  });
  const designSections = input.designs.map((design) => {
    const byScale = results.get(design.name)!;
    const s1 = input.saturations.get(design.name)!;
    const rows = SCALES.flatMap((scale) =>
      byScale.get(scale)!.map((r) => {
        const sim = r.simulated;
        const simText = sim
          ? sim.backlogAtEndMs > SATURATED_BACKLOG_MS || sim.utilisation >= 1
            ? `saturated: p99 wait ${ms(sim.p99WaitMs)}, ${ms(sim.backlogAtEndMs)} of work still queued after the peak`
            : `mean ${ms(sim.meanWaitMs)}, p99 ${ms(sim.p99WaitMs)} (${int(sim.requests)} requests)`
          : '—';
        const storage = r.storedBytes === null ? '—' : `${bytes(r.storedBytes)}${r.storedBytes > D1_MAX_BYTES ? ' **over 10 GB**' : ''}`;
        const verdict = r.peakUtilisation >= 1 || (r.storedBytes ?? 0) > D1_MAX_BYTES ? '**saturated**' : r.peakUtilisation >= 0.7 ? 'near its limit' : 'carries it';
        return `| ${scale}x | ${r.server}${r.note ? ` (${r.note})` : ''} | ${r.peakUtilisation >= 10 ? r.peakUtilisation.toFixed(0) : r.peakUtilisation.toFixed(3)} | ${ms(r.peakMeanWaitMs)} | ${simText} | ${storage} | ${verdict} |`;
      }),
    );
    return `### ${design.name}

${design.summary}. **Saturates at ${times(s1.at)} today's load**: ${s1.what}.

| Load | Server | Utilisation, busiest minute | M/G/1 mean wait then | Simulated, two busiest hours | Database size | |
| --- | --- | ---: | ---: | --- | ---: | --- |
${rows.join('\n')}`;
  });
  const overview = input.designs.map((design) => {
    const s = input.saturations.get(design.name)!;
    const carries = SCALES.filter((scale) => scale < s.at);
    return `| ${design.name} | ${times(s.at)} | ${s.what} | ${times(s.queueAt)} | ${carries.length ? `${carries[carries.length - 1]}x` : 'not even 1x'} |`;
  });

  return `# Capacity model: a synthetic day against each design

Written by \`npm run bench -- scale\` (\`bench/scale.ts\`) in ${input.seconds.toFixed(1)} s, seed ${SEED}, from the costs
\`npm run bench -- cpu\` measured at ${measured.writtenAt} (load average ${measured.loadAverage[0].toFixed(1)}; \`bench/results/cpu.json\`).
The designs and the published limits they meet are in \`docs/scale.md\`.

## Where each design saturates

| Design | Saturates at (x today's load) | First limit | A queue saturates at | Carries (of 1x, 10x, 100x, 1,000x) |
| --- | ---: | --- | ---: | ---: |
${overview.join('\n')}

Found by raising the load in 2 % steps until a server of the design reaches utilisation 1 in the busiest minute or
its database passes 10 GB (the activity log's ${ACTIVITY_RETENTION_DAYS} days on one database, or one day per database where
activities have their own); a design whose structure grows with the load (tenants) is rebuilt at each step.

## The load

Today's demo load is one organisation of ${int(DEMO_USERS)} users on a working day. The day's traffic follows a working-day
curve in one time zone: the busiest minute (${clock(peakMinute)}) carries ${peakFactor.toFixed(1)}x the day's mean rate; the simulated
window is ${clock(windowStart)}-${clock(windowStart + 120)}.

| Scale | Users | Worker requests/day | Verifies/s, busiest minute | Requests/s, busiest minute | Activities/day | Activity log, ${ACTIVITY_RETENTION_DAYS} days | Worker CPU s/day | Within Free's 100,000 requests/day |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${loadRows.join('\n')}

Per user and working day, and what each kind costs (D1 service time: the CPU the local D1 spent on the request in
the cpu run, workerd's CPU minus the Worker isolate's; Worker CPU: the isolate's):

| Traffic | Per user/day | Measured as | D1 time (ms) | Worker CPU (ms) | Read-only | Activity rows | Hot token state |
| --- | ---: | --- | ---: | ---: | --- | ---: | --- |
${trafficRows.join('\n')}

An activity row costs ${pricing.activityMs.toFixed(2)} ms of D1 time where it is written on its own (the measured one-statement
call, \`portalInfo\`) and takes ${pricing.activityBytes} bytes on disk (measured values + index entries, cpu.md). The admin
rows are per 1,000 users (one admin's work for an organisation of that size).

## The designs at 1x, 10x, 100x and 1,000x

${designSections.join('\n\n')}

## What the model leaves out

- D1 in production runs the same SQLite in a Durable Object as the local one measured here, but on other hardware,
  with no \`workerd\` CPU contention from the benchmark itself (this machine is shared: absolute service times
  drift with its load, the ratios between designs do not).
- Replicas apply the primary's writes too; the model gives them only the reads. Read replicas are per region; one
  region's users are modelled on one replica, the worst case.
- Cross-tenant work (the platform's own admins) and the cron's purges are not in the day; the purge of 90-day-old
  activities is what design D replaces by dropping a day's database.
- Network latency between the Worker and D1 or a Durable Object adds to every answer's time, not to any
  server's utilisation.
`;
}

main();
