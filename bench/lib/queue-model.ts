/**
 * The queue model bench/scale.ts runs each design through: a single FIFO server (one D1 database, one Durable
 * Object: each executes one request at a time) fed by Poisson arrivals of several request classes, each with a
 * fixed service time.
 *
 * - `mg1`: the steady-state answer (Pollaczek-Khinchine): utilisation and mean wait of an M/G/1 queue whose service
 *   time is the mix of the classes. At utilisation >= 1 there is no steady state: the queue grows without bound.
 * - `simulateFifo`: the same server simulated request by request (Lindley's recursion) over a stretch of time whose
 *   arrival rate changes minute by minute, seeded, so a run is reproducible. It shows what the steady state cannot:
 *   the backlog a peak leaves behind when the server is overloaded for part of the hour.
 */

export interface RequestClass {
  /** Arrivals per second. */
  ratePerSecond: number;
  /** Time the server is busy with one request of this class, ms. */
  serviceMs: number;
}

export interface SteadyState {
  utilisation: number;
  /** Mean time a request waits before the server starts on it, ms; Infinity when utilisation >= 1. */
  meanWaitMs: number;
}

/** M/G/1 with the classes' deterministic service times mixed by their rates. */
export function mg1(classes: readonly RequestClass[]): SteadyState {
  const rate = classes.reduce((sum, c) => sum + c.ratePerSecond, 0);
  if (rate === 0) return { utilisation: 0, meanWaitMs: 0 };
  // Per-second rates against ms service times: ρ = Σ λ_i S_i / 1000; E[S²] over the mix.
  const utilisation = classes.reduce((sum, c) => sum + c.ratePerSecond * c.serviceMs, 0) / 1000;
  if (utilisation >= 1) return { utilisation, meanWaitMs: Infinity };
  const secondMomentMs2 = classes.reduce((sum, c) => sum + c.ratePerSecond * c.serviceMs ** 2, 0) / rate;
  // Pollaczek-Khinchine: W_q = λ E[S²] / (2 (1 - ρ)), λ per ms.
  return { utilisation, meanWaitMs: ((rate / 1000) * secondMomentMs2) / (2 * (1 - utilisation)) };
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same day of traffic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulationResult {
  requests: number;
  /** Busy time / simulated time. */
  utilisation: number;
  meanWaitMs: number;
  p99WaitMs: number;
  maxWaitMs: number;
  /** Work still queued when the stretch ends, ms: > 0 means the server fell behind and had not caught up. */
  backlogAtEndMs: number;
}

/**
 * A FIFO single server over `classesPerMinute.length` minutes, minute m with the arrival rates of
 * classesPerMinute[m]. Poisson arrivals (exponential gaps), each request's class drawn by rate.
 */
export function simulateFifo(classesPerMinute: ReadonlyArray<readonly RequestClass[]>, seed: number): SimulationResult {
  const random = seededRandom(seed);
  const waits = new WaitHistogram();
  let clockMs = 0;
  // Lindley: the server is free again at freeAtMs; a request arriving at t waits max(0, freeAtMs - t).
  let freeAtMs = 0;
  let busyMs = 0;
  let waitSumMs = 0;
  for (let minute = 0; minute < classesPerMinute.length; minute++) {
    const classes = classesPerMinute[minute]!;
    const minuteEndMs = (minute + 1) * 60_000;
    const ratePerMs = classes.reduce((sum, c) => sum + c.ratePerSecond, 0) / 1000;
    clockMs = Math.max(clockMs, minute * 60_000);
    if (ratePerMs === 0) continue;
    for (;;) {
      clockMs += -Math.log(1 - random()) / ratePerMs;
      if (clockMs >= minuteEndMs) {
        // The memoryless gap restarts at the next minute's rate.
        clockMs = minuteEndMs;
        break;
      }
      let pick = random() * ratePerMs * 1000;
      let serviceMs = classes[classes.length - 1]!.serviceMs;
      for (const c of classes) {
        pick -= c.ratePerSecond;
        if (pick < 0) {
          serviceMs = c.serviceMs;
          break;
        }
      }
      const waitMs = Math.max(0, freeAtMs - clockMs);
      freeAtMs = clockMs + waitMs + serviceMs;
      busyMs += serviceMs;
      waitSumMs += waitMs;
      waits.add(waitMs);
    }
  }
  const endMs = classesPerMinute.length * 60_000;
  const n = waits.count;
  return {
    requests: n,
    utilisation: busyMs / endMs,
    meanWaitMs: n === 0 ? 0 : waitSumMs / n,
    p99WaitMs: waits.quantile(0.99),
    maxWaitMs: waits.max,
    backlogAtEndMs: Math.max(0, freeAtMs - endMs),
  };
}

/**
 * Waits in logarithmic buckets (40 per decade from 1 µs: a quantile is within 6 % of the exact one), so a day of
 * millions of requests needs neither their array nor its sort. A zero wait has its own bucket.
 */
class WaitHistogram {
  private static readonly PER_DECADE = 40;
  private static readonly MIN_MS = 0.001;
  private readonly buckets = new Float64Array(WaitHistogram.PER_DECADE * 12 + 2);
  count = 0;
  max = 0;

  add(waitMs: number): void {
    this.count++;
    if (waitMs > this.max) this.max = waitMs;
    const index = waitMs < WaitHistogram.MIN_MS ? 0 : 1 + Math.min(this.buckets.length - 2, Math.floor(Math.log10(waitMs / WaitHistogram.MIN_MS) * WaitHistogram.PER_DECADE));
    this.buckets[index]!++;
  }

  /** The upper edge of the bucket holding the q-quantile (0 for the zero bucket), capped at the largest wait seen. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= target) return i === 0 ? 0 : Math.min(this.max, WaitHistogram.MIN_MS * 10 ** (i / WaitHistogram.PER_DECADE));
    }
    return this.max;
  }
}
