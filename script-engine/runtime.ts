/**
 * What an action's `run` (actions.ts) may use of the interpreter (run.ts): the values a script handles, and the
 * interpreter's operations that charge work, enforce budgets and record effects. Declarations see only this, so
 * an action cannot reach around the budgets.
 */
import type { ActionSpec } from './actions';
import type { ProblemParams, ScriptProblem } from './problems';
import type { Budgets, Effect } from './types';

/** Claims and the user are passed around as these wrappers so scripts cannot confuse them with plain values. */
export class ClaimsValue {
  constructor(readonly values: ReadonlyMap<string, readonly string[]>) {}
}
export class UserValue {
  constructor(readonly fields: Map<string, string | boolean>) {}
}
export type Value = string | number | boolean | null | Value[] | ClaimsValue | UserValue;

/**
 * A compiled expression as the interpreter runs it: each action joined to its declaration, its parameters in the
 * declared order. Built once per program from the stored JSON (run.ts), so a run does no name lookups.
 */
export type Expression =
  | { tag: 'const'; value: string | number | boolean | null }
  | { tag: 'var'; name: string }
  | { tag: 'list'; items: Expression[] }
  | LinkedAction;

export interface LinkedAction {
  tag: 'action';
  spec: ActionSpec;
  /** Aligned with spec.parameters; undefined where the script left a parameter out. */
  args: Array<Expression | undefined>;
  /**
   * The arguments `run` receives, by name, refilled at every call of this node. One object per node is enough:
   * a node never runs inside its own run (blocks hold other nodes), and no run keeps its arguments.
   */
  named: Record<string, Value | Expression | undefined>;
  line: number;
  column: number;
}

export interface ActionRuntime {
  readonly budgets: Budgets;
  /** Context.Claims: GetEntry's default source. */
  readonly claims: ClaimsValue;
  /** Fields set since the last SaveInstance, and the user as it was then: what a save compares. */
  readonly unsavedFields: Set<string>;
  savedFields: Map<string, string | boolean>;
  /** Stops the run with this problem (its code, English message and parameters) at the current action's line:column. */
  fail(problem: ScriptProblem, params?: ProblemParams): never;
  /** Stops the script and refuses the sign-in. */
  deny(reason: string): never;
  /** Spends work units, refusing (before any of the work is done) what would go past the budget. */
  charge(units: number): void;
  /** Evaluates a lazy parameter's expression (And/Or conditions) at `depth`, keeping the action's location. */
  evaluate(expr: Expression, depth: number): Value;
  /** Runs a list of actions (a `then`, `else` or `do`) at `depth`. */
  runBlock(actions: readonly Expression[], depth: number): void;
  /** The items of a list written in the script (a block of actions, And's conditions); [] for anything else. */
  itemsOf(expr: Expression | undefined): readonly Expression[];
  /** Records this action's trace step now, before the actions it runs (declarations with `tracesItself`). */
  traceStep(output: Value): void;
  addEffect(effect: Effect): void;
  setVariable(name: string, value: Value): void;
  text(value: Value | undefined, parameter: string): string;
  scalarText(value: Value | undefined): string;
  userOf(value: Value): UserValue;
  fieldName(value: Value): string;
  fieldValue(value: Value, type: 'string' | 'boolean'): string | boolean;
  equals(left: Value, right: Value, ignoreCase: boolean): boolean;
  matches(mode: 'contains' | 'startsWith' | 'endsWith', value: Value, needle: string, ignoreCase: boolean): boolean;
}

export function truthy(value: Value | undefined): boolean {
  if (value === undefined || value === null || value === '' || value === false || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}
