/**
 * The engine's budgets: every run is bounded by counting what it does (actions, elements, characters, trace
 * bytes), never by a timer. In Workers the clock does not advance during pure CPU work, so only counts can stop
 * a script that costs too much. `npm run bench -- script-engine` measures the most expensive script these numbers
 * admit (bench/results/script-engine.md); change them together with that measurement.
 */
import type { Budgets } from './types';

/**
 * Characters of text that cost one work unit more: lowercasing, comparing, hashing, searching and joining text
 * take time in proportion to its length, so a script cannot buy 4,096-character comparisons at the price of
 * one-character ones.
 */
export const CHARS_PER_WORK_UNIT = 16;

export const DEFAULT_BUDGETS: Budgets = {
  maxSourceChars: 64 * 1024,
  maxDepth: 32,
  // A real script evaluates tens of actions; each costs up to about 0.3 µs on a loaded machine (see the benchmark).
  maxSteps: 5_000,
  // A typical script spends a few dozen units, a loop over 200 group claims a few thousand. The costliest units
  // (non-ASCII texts lowercased and hashed into a set) cost about 130 ns each on a loaded machine, and the steps
  // as many milliseconds again (see the benchmark).
  maxWork: 20_000,
  // Ten claims of 1,000 values in one list: far beyond a real script, far below a 1,000 x 1,000 list of lists.
  maxValueItems: 10_000,
  maxEffects: 200,
  maxStringChars: 4096,
  maxListItems: 1000,
  maxVariables: 100,
  // The designer shows the trace to a person; 256 KiB is thousands of steps, and leaves room in the test-run answer.
  maxTraceBytes: 256 * 1024,
};

/**
 * Errors (and warnings) one compile reports, then one TOO_MANY_ERRORS: more than a person fixes before checking
 * again, and 64 KiB of one-line mistakes would otherwise answer 1.4 MB of markers.
 */
export const MAX_REPORTED_ERRORS = 100;

/**
 * The work of reading one text (comparing, hashing, lowercasing, searching or joining it): one unit for the
 * operation itself, which costs about as much as walking an element, and one more per CHARS_PER_WORK_UNIT
 * characters.
 */
export function textWork(chars: number): number {
  return 1 + ((chars / CHARS_PER_WORK_UNIT) | 0);
}
