/**
 * The queue model bench/scale.ts judges the designs with: its steady-state formula against textbook values, its
 * simulation against the formula, and overload showing up as overload (a model that never saturates would make
 * every design look as if it carried any load).
 */
import { describe, expect, it } from 'vitest';
import { mg1, seededRandom, simulateFifo, type RequestClass } from '../../bench/lib/queue-model';

const minutes = (count: number, classes: RequestClass[]) => Array.from({ length: count }, () => classes);

describe('mg1 (Pollaczek-Khinchine)', () => {
  it('gives the known M/D/1 wait: ρ = 0.5, S = 1 ms waits ρS / (2(1-ρ)) = 0.5 ms', () => {
    const state = mg1([{ ratePerSecond: 500, serviceMs: 1 }]);
    expect(state.utilisation).toBeCloseTo(0.5, 12);
    expect(state.meanWaitMs).toBeCloseTo(0.5, 12);
  });

  it('gives the known M/D/1 wait at ρ = 0.9: 4.5 service times', () => {
    expect(mg1([{ ratePerSecond: 450, serviceMs: 2 }]).meanWaitMs).toBeCloseTo(9, 9);
  });

  it('mixes classes by rate: E[S²] of a half 1 ms, half 3 ms mix is 5 ms²', () => {
    // λ = 200/s, ρ = (100 * 1 + 100 * 3) / 1000 = 0.4; W = 0.2 * 5 / (2 * 0.6) = 0.8333 ms
    const state = mg1([
      { ratePerSecond: 100, serviceMs: 1 },
      { ratePerSecond: 100, serviceMs: 3 },
    ]);
    expect(state.utilisation).toBeCloseTo(0.4, 12);
    expect(state.meanWaitMs).toBeCloseTo(0.2 * 5 / 1.2, 12);
  });

  it('has no steady state at utilisation 1 or more', () => {
    expect(mg1([{ ratePerSecond: 1000, serviceMs: 1 }]).meanWaitMs).toBe(Infinity);
    expect(mg1([{ ratePerSecond: 1500, serviceMs: 1 }])).toEqual({ utilisation: 1.5, meanWaitMs: Infinity });
  });
});

describe('simulateFifo', () => {
  it('reproduces the M/D/1 wait it is compared with (ρ = 0.7, within 5 %)', () => {
    const classes = [{ ratePerSecond: 700, serviceMs: 1 }];
    const simulated = simulateFifo(minutes(20, classes), 42);
    const expected = mg1(classes).meanWaitMs; // 0.7 / 0.6 = 1.1667 ms
    expect(simulated.requests).toBeGreaterThan(800_000);
    expect(simulated.utilisation).toBeCloseTo(0.7, 2);
    expect(Math.abs(simulated.meanWaitMs - expected) / expected).toBeLessThan(0.05);
  });

  it('saturates above utilisation 1: the backlog grows by (ρ - 1) of the time', () => {
    // ρ = 1.2 for 10 minutes: about 0.2 * 600 s = 120 s of work left over, and requests wait tens of seconds.
    const simulated = simulateFifo(minutes(10, [{ ratePerSecond: 1200, serviceMs: 1 }]), 7);
    expect(simulated.backlogAtEndMs).toBeGreaterThan(110_000);
    expect(simulated.backlogAtEndMs).toBeLessThan(130_000);
    expect(simulated.p99WaitMs).toBeGreaterThan(100_000);
  });

  it('carries a peak minute above 1 and drains it afterwards', () => {
    const quiet = { ratePerSecond: 300, serviceMs: 1 };
    const simulated = simulateFifo([[{ ratePerSecond: 1500, serviceMs: 1 }], ...minutes(5, [quiet])], 3);
    expect(simulated.maxWaitMs).toBeGreaterThan(20_000);
    // At most the request in service when the stretch ends.
    expect(simulated.backlogAtEndMs).toBeLessThan(1);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const classes = minutes(2, [{ ratePerSecond: 400, serviceMs: 2 }]);
    expect(simulateFifo(classes, 1)).toEqual(simulateFifo(classes, 1));
    expect(simulateFifo(classes, 1).meanWaitMs).not.toBe(simulateFifo(classes, 2).meanWaitMs);
    const random = seededRandom(9);
    const draws = Array.from({ length: 10_000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
  });
});
