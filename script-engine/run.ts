/**
 * Stage 4: running a compiled program. Pure and synchronous: the engine reads only the context it is given,
 * performs no I/O, and returns the effects for the host to apply. Bounded by budgets (steps, work, depth, effects,
 * sizes, trace bytes), never by timers: in Workers the clock does not advance during pure CPU work. `runProgram`
 * never throws.
 *
 * Work is charged for what an operation touches, not for how it is written: a list holding the same 1,000-item
 * list 1,000 times holds 1,001,000 elements, and building, comparing or searching it costs that much. Every list
 * knows its deep size (elements at every level, shared references counted each time) from when it was built, so
 * the size check and the charge come before any walk, and walks are loops over an explicit stack.
 */
import { findAction } from './actions';
import { DEFAULT_BUDGETS, textWork } from './budgets';
import { scriptProblem, type ProblemParams, type ScriptProblem } from './problems';
import { ClaimsValue, UserValue, type ActionRuntime, type Expression, type LinkedAction, type Value } from './runtime';
import type { Budgets, CompiledExpr, CompiledProgram, Effect, RunContext, RunResult, ScriptError, TraceStep } from './types';

export interface RunOptions {
  /** Record every action with its inputs and output (the designer's test run). */
  dryRun?: boolean;
  trace?: boolean;
  budgets?: Partial<Budgets>;
}

/** A list that holds lists: its deep size and nesting (flat lists are their own length, depth 1). */
interface NestedShape {
  items: number;
  depth: number;
}

class ScriptFailure {
  constructor(readonly error: ScriptError) {}
}
class DenySignal {
  constructor(readonly reason: string) {}
}

export function runProgram(program: CompiledProgram, context: RunContext, options: RunOptions = {}): RunResult {
  return new Interpreter(options).run(program, context);
}

/** Programs already linked: the Worker runs one program per sign-in, a benchmark or a test the same one many times. */
const LINKED = new WeakMap<CompiledProgram, Expression[]>();

class MalformedProgram extends Error {}

function linkProgram(program: CompiledProgram): Expression[] {
  let linked = LINKED.get(program);
  if (!linked) {
    if (!program || !Array.isArray(program.actions)) throw new MalformedProgram('not a compiled program');
    linked = program.actions.map((expr) => link(expr, 0));
    LINKED.set(program, linked);
  }
  return linked;
}

/** The stored JSON joined to the declarations; anything that is not a node of the current format is refused. */
function link(expr: CompiledExpr, depth: number): Expression {
  // Deeper than any budget admits; the run refuses it at DEFAULT_BUDGETS.maxDepth or less anyway.
  if (depth > 1000 || typeof expr !== 'object' || expr === null) throw new MalformedProgram('malformed program');
  switch (expr.tag) {
    case 'const':
    case 'var':
      return expr;
    case 'list':
      return { tag: 'list', items: expr.items.map((item) => link(item, depth + 1)) };
    case 'action': {
      const spec = findAction(expr.action);
      if (!spec || spec.name !== expr.action) throw new MalformedProgram(`There is no action "${String(expr.action)}".`);
      const params = expr.params;
      const named: LinkedAction['named'] = {};
      for (const param of spec.parameters) named[param.name] = undefined;
      return {
        tag: 'action',
        spec,
        args: spec.parameters.map((param) => (Object.hasOwn(params, param.name) ? link(params[param.name]!, depth + 1) : undefined)),
        named,
        line: expr.line,
        column: expr.column,
      };
    }
    default:
      throw new MalformedProgram('malformed program');
  }
}

/**
 * One run's state. Written as a class with methods, not closures: functions created per run or per action cost
 * more than the work itself (bundlers that keep function names wrap every closure they create).
 */
class Interpreter implements ActionRuntime {
  readonly budgets: Budgets;
  private readonly tracing: boolean;
  private readonly trace: TraceStep[] = [];
  private readonly effects: Effect[] = [];
  private readonly variables = new Map<string, Value>();
  private readonly user = new UserValue(new Map());
  claims = new ClaimsValue(new Map());
  private userId = '';
  savedFields = new Map<string, string | boolean>();
  readonly unsavedFields = new Set<string>();
  private steps = 0;
  private work = 0;
  /** Only lists holding lists are here; a list not here is flat. */
  private readonly nested = new WeakMap<Value[], NestedShape>();
  private traceBytes = 2;
  private keptTraceBytes = 2;
  private traceFull = false;
  private line = 1;
  private column = 1;
  /** The trace inputs of the action whose `run` is running, for a flow action's own traceStep. */
  private stepInputs: Record<string, unknown> | null = null;
  private stepAction: LinkedAction | null = null;

  constructor(options: RunOptions) {
    this.budgets = options.budgets ? { ...DEFAULT_BUDGETS, ...options.budgets } : DEFAULT_BUDGETS;
    this.tracing = Boolean(options.dryRun || options.trace);
  }

  run(program: CompiledProgram, context: RunContext): RunResult {
    try {
      this.claims = this.loadClaims(context.claims);
      for (const name of Object.keys(context.user)) {
        if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
        this.user.fields.set(name, context.user[name]!);
      }
      this.savedFields = new Map(this.user.fields);
      this.userId = context.userId;
      this.runBlock(linkProgram(program), 1);
      return this.finish('success');
    } catch (signal) {
      if (signal instanceof DenySignal) return this.finish('success', { denied: signal.reason });
      if (signal instanceof ScriptFailure) return this.finish('error', { error: signal.error });
      if (signal instanceof MalformedProgram) return this.finish('error', { error: scriptProblem('invalidProgram', { detail: signal.message }, { line: 1, column: 1 }) });
      // A bug in the engine itself (or a host object misbehaving): still a result, never an exception.
      return this.finish('error', { error: scriptProblem('engineFault', { detail: String((signal as Error)?.message ?? signal) }, { line: this.line, column: this.column }) });
    }
  }

  private finish(outcome: RunResult['outcome'], extra: { denied?: string; error?: ScriptError } = {}): RunResult {
    const user: Record<string, string | boolean> = {};
    for (const [name, value] of this.user.fields) user[name] = value;
    const result: RunResult = {
      outcome,
      // A denied or failed script has no effects: nothing of it may be applied.
      effects: outcome === 'success' && extra.denied === undefined ? this.effects : [],
      user,
      steps: this.steps,
      work: this.work,
    };
    if (extra.denied !== undefined) result.denied = extra.denied;
    if (extra.error) result.error = extra.error;
    if (this.tracing) {
      result.trace = this.trace;
      result.traceBytes = this.keptTraceBytes;
      if (this.traceFull) result.traceTruncated = true;
    }
    return result;
  }

  fail(problem: ScriptProblem, params: ProblemParams = {}): never {
    throw new ScriptFailure(scriptProblem(problem, params, { line: this.line, column: this.column }));
  }

  /** Spends work units, refusing (before any of the work is done) what would go past the budget. */
  charge(units: number): void {
    if (this.work + units > this.budgets.maxWork) this.fail('workBudgetExceeded', { max: this.budgets.maxWork });
    this.work += units;
  }

  runBlock(actions: readonly Expression[], depth: number): void {
    for (const action of actions) this.value(action, depth);
  }

  evaluate(expr: Expression, depth: number): Value {
    const line = this.line;
    const column = this.column;
    const value = this.value(expr, depth);
    this.line = line;
    this.column = column;
    return value;
  }

  itemsOf(expr: Expression | undefined): readonly Expression[] {
    return expr?.tag === 'list' ? expr.items : [];
  }

  deny(reason: string): never {
    throw new DenySignal(reason);
  }

  traceStep(output: Value): void {
    const inputs = this.stepInputs;
    const action = this.stepAction;
    this.stepInputs = null;
    if (inputs && action) this.pushTrace(action.spec.name, action.line, action.column, inputs, output);
  }

  private value(expr: Expression, depth: number): Value {
    if (depth > this.budgets.maxDepth) this.fail('runTooDeep', { max: this.budgets.maxDepth });
    switch (expr.tag) {
      case 'const':
        return expr.value;
      case 'var': {
        const name = expr.name;
        if (name === 'Context.Claims') return this.claims;
        if (name === 'Context.User') return this.user;
        if (name === 'Context.UserId') return this.userId;
        if (!this.variables.has(name)) this.fail('variableUnset', { name });
        return this.variables.get(name)!;
      }
      case 'list':
        return this.buildList(expr.items, depth);
      case 'action':
        return this.runAction(expr, depth);
    }
  }

  /**
   * A list literal. Holding a list by reference is cheap to do but not to use, so the new list is charged (and
   * bounded) by its deep size: each item, plus everything a list item holds, however often the same list recurs.
   */
  private buildList(source: Expression[], depth: number): Value[] {
    const budgets = this.budgets;
    if (source.length > budgets.maxListItems) this.fail('runListTooLong', { max: budgets.maxListItems });
    const line = this.line;
    const column = this.column;
    const items: Value[] = [];
    let size = source.length;
    let nesting = 1;
    for (const item of source) {
      const value = this.value(item, depth + 1);
      items.push(value);
      if (Array.isArray(value)) {
        const shape = this.nested.get(value);
        size += shape ? shape.items : value.length;
        if (shape && shape.depth >= nesting) nesting = shape.depth + 1;
        else if (nesting === 1) nesting = 2;
      }
    }
    this.line = line;
    this.column = column;
    if (nesting > budgets.maxDepth) this.fail('listNestedTooDeep', { max: budgets.maxDepth });
    if (size > budgets.maxValueItems) this.fail('valueTooLarge', { size, max: budgets.maxValueItems });
    this.charge(size);
    if (nesting > 1) this.nested.set(items, { items: size, depth: nesting });
    return items;
  }

  /** Elements of a value at every level, shared references counted each time (0 for a value that is not a list). */
  private deepItems(value: Value): number {
    if (!Array.isArray(value)) return 0;
    return this.nested.get(value)?.items ?? value.length;
  }

  /**
   * Every value inside `value` that is not itself a list (or `value` itself when it is not a list), in order.
   * Charged first: one unit per element walked, known from the deep size without walking. The walk is a loop over
   * an explicit stack, so no nesting can exhaust the call stack.
   */
  private leavesOf(value: Value): readonly Value[] {
    if (!Array.isArray(value)) return [value];
    this.charge(this.deepItems(value));
    if (!this.nested.has(value)) return value;
    const leaves: Value[] = [];
    const lists: Value[][] = [value];
    const positions: number[] = [0];
    while (lists.length > 0) {
      const top = lists.length - 1;
      const list = lists[top]!;
      const position = positions[top]!;
      if (position === list.length) {
        lists.pop();
        positions.pop();
        continue;
      }
      positions[top] = position + 1;
      const item = list[position]!;
      if (Array.isArray(item)) {
        lists.push(item);
        positions.push(0);
      } else leaves.push(item);
    }
    return leaves;
  }

  /**
   * One action: its declaration's parameters evaluated in the declared order (lazy ones handed over as written),
   * the traced ones recorded, then its `run`.
   */
  private runAction(expr: LinkedAction, depth: number): Value {
    const { line, column, spec } = expr;
    this.line = line;
    this.column = column;
    if (++this.steps > this.budgets.maxSteps) this.fail('stepBudgetExceeded', { max: this.budgets.maxSteps });
    const inputs: Record<string, unknown> | null = this.tracing && !this.traceFull ? {} : null;
    const parameters = spec.parameters;
    const sources = expr.args;
    const args = expr.named;
    for (let i = 0; i < parameters.length; i++) {
      const param = parameters[i]!;
      const source = sources[i];
      if (source === undefined || param.lazy) {
        args[param.name] = source;
        continue;
      }
      const value = this.value(source, depth + 1);
      this.line = line;
      this.column = column;
      if (inputs && param.traced) this.record(inputs, param.name, value);
      args[param.name] = value;
    }
    this.stepInputs = inputs;
    this.stepAction = expr;
    const output = spec.run(args, this, depth);
    if (inputs && !spec.tracesItself) this.pushTrace(spec.name, line, column, inputs, output);
    return output;
  }

  private loadClaims(claims: RunContext['claims']): ClaimsValue {
    const budgets = this.budgets;
    const map = new Map<string, readonly string[]>();
    // Read as the engine's callers may send them at run time (a single text for a list, a value that is no text),
    // whatever the declared type says: each value is checked before the script sees it.
    const entries: [string, unknown][] = Object.entries(claims ?? {});
    if (entries.length > budgets.maxListItems) this.fail('tooManyClaims', { max: budgets.maxListItems });
    for (const [name, values] of entries) {
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
      const list: readonly unknown[] = Array.isArray(values) ? values : [values];
      this.checkClaimValues(name, list);
      map.set(name, list);
    }
    return new ClaimsValue(map);
  }

  /** A claim's values within the budgets and all text, or the run fails with the problem. */
  private checkClaimValues(name: string, list: readonly unknown[]): asserts list is readonly string[] {
    const budgets = this.budgets;
    if (list.length > budgets.maxListItems) this.fail('claimTooManyValues', { name: name.slice(0, 100), max: budgets.maxListItems });
    for (const value of list) {
      if (typeof value !== 'string') this.fail('claimValueNotText', { name: name.slice(0, 100) });
      if (value.length > budgets.maxStringChars) this.fail('claimValueTooLong', { name: name.slice(0, 100), max: budgets.maxStringChars });
    }
  }

  private record(inputs: Record<string, unknown>, key: string, value: Value): void {
    if (this.traceFull) return;
    this.spendTrace(key.length + 4);
    inputs[key] = this.present(value);
  }

  /**
   * Adds a step to the trace unless the trace budget ran out while it was recorded: the trace keeps the steps up
   * to there and records nothing more, and the run goes on exactly as it would without a trace.
   */
  private pushTrace(action: string, line: number, column: number, inputs: Record<string, unknown>, output: Value): void {
    // {"action":"…","line":…,"column":…,"inputs":{…},"output":…} and the comma after it.
    this.spendTrace(54 + action.length + digits(line) + digits(column));
    const presented = this.present(output);
    if (this.traceFull) return;
    this.trace.push({ action, line, column, inputs, output: presented });
    this.keptTraceBytes = this.traceBytes;
  }

  private spendTrace(bytes: number): void {
    this.traceBytes += bytes;
    if (this.traceBytes > this.budgets.maxTraceBytes) this.traceFull = true;
  }

  /** How values appear in a trace: plain JSON, the claims and user as objects; stops when the trace is full. */
  private present(value: Value): unknown {
    if (this.traceFull) return undefined;
    if (typeof value === 'string') {
      this.spendTrace(jsonTextBytes(value));
      return value;
    }
    if (Array.isArray(value)) {
      this.spendTrace(2);
      const copy: unknown[] = [];
      for (const item of value) {
        if (this.traceFull) break;
        this.spendTrace(1);
        copy.push(this.present(item));
      }
      return copy;
    }
    if (value instanceof ClaimsValue || value instanceof UserValue) {
      this.spendTrace(2);
      const copy: Record<string, unknown> = {};
      for (const [key, item] of value instanceof ClaimsValue ? value.values : value.fields) {
        if (this.traceFull) break;
        this.spendTrace(jsonTextBytes(key) + 2);
        copy[key] = this.present(item as Value);
      }
      return copy;
    }
    this.spendTrace(value === null ? 4 : String(value).length);
    return value;
  }

  addEffect(effect: Effect): void {
    if (this.effects.length >= this.budgets.maxEffects) this.fail('effectBudgetExceeded', { max: this.budgets.maxEffects });
    this.effects.push(effect);
  }

  setVariable(name: string, value: Value): void {
    if (name.startsWith('Context.') || name === '__proto__' || name === 'constructor' || name === 'prototype') this.fail('forbiddenVariableName', { name });
    if (!this.variables.has(name) && this.variables.size >= this.budgets.maxVariables) this.fail('tooManyVariables', { max: this.budgets.maxVariables });
    this.variables.set(name, value);
  }

  userOf(value: Value): UserValue {
    return value instanceof UserValue ? value : this.fail('notAUser');
  }

  text(value: Value | undefined, parameter: string): string {
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') this.fail('parameterNotText', { name: parameter });
    return value as string;
  }

  fieldName(value: Value): string {
    const name = this.text(value, 'field');
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') this.fail('forbiddenFieldNameAtRun', { name });
    return name;
  }

  fieldValue(value: Value, type: 'string' | 'boolean'): string | boolean {
    if (type === 'boolean') {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return this.fail('fieldTakesBoolean');
    }
    if (Array.isArray(value)) {
      // A claim's value list: a single value is the usual case; more than one is ambiguous.
      if (value.length > 1) this.fail('fieldTakesOneText');
      return this.scalarText(value[0] ?? '');
    }
    const result = this.scalarText(value);
    if (result.length > this.budgets.maxStringChars) this.fail('runTextTooLong', { max: this.budgets.maxStringChars });
    return result;
  }

  scalarText(value: Value | undefined): string {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail('textExpected');
  }

  /**
   * EqualTo: with a list on either side (at any depth), true when any value inside one equals any value inside
   * the other. Each side is walked once and one side's values are kept in a Set, so comparing costs the sum of
   * the two sizes, never their product.
   */
  equals(left: Value, right: Value, ignoreCase: boolean): boolean {
    if (!Array.isArray(left) && !Array.isArray(right)) return this.keyOf(left, ignoreCase) === this.keyOf(right, ignoreCase);
    const lefts = this.leavesOf(left);
    const rights = this.leavesOf(right);
    const [few, many] = lefts.length <= rights.length ? [lefts, rights] : [rights, lefts];
    if (few.length === 0) return false;
    if (few.length === 1) {
      const key = this.keyOf(few[0]!, ignoreCase);
      for (const item of many) if (this.keyOf(item, ignoreCase) === key) return true;
      return false;
    }
    const keys = new Set<unknown>();
    for (const item of few) keys.add(this.keyOf(item, ignoreCase));
    for (const item of many) if (keys.has(this.keyOf(item, ignoreCase))) return true;
    return false;
  }

  /**
   * What equality compares, charged for the text it reads (and, with ignoreCase, for the lowercase text it
   * builds): the claims and the user are equal only to themselves; every other value as its text (nothing is
   * empty text, true is "true").
   */
  private keyOf(value: Value, ignoreCase: boolean): unknown {
    if (value instanceof ClaimsValue || value instanceof UserValue) return value;
    const text = typeof value === 'string' ? value : value === null ? '' : String(value);
    if (!ignoreCase) {
      this.charge(textWork(text.length));
      return text;
    }
    this.charge(2 * textWork(text.length));
    return text.toLowerCase();
  }

  matches(mode: 'contains' | 'startsWith' | 'endsWith', value: Value, needle: string, ignoreCase: boolean): boolean {
    if (Array.isArray(value)) {
      const leaves = this.leavesOf(value);
      if (mode === 'contains') {
        const key = this.keyOf(needle, ignoreCase);
        for (const item of leaves) if (this.keyOf(item, ignoreCase) === key) return true;
        return false;
      }
      for (const item of leaves) if (this.matches(mode, item, needle, ignoreCase)) return true;
      return false;
    }
    const text = this.scalarText(value);
    this.charge((ignoreCase ? 2 : 1) * textWork(text.length + needle.length));
    const hay = ignoreCase ? text.toLowerCase() : text;
    const n = ignoreCase ? needle.toLowerCase() : needle;
    return mode === 'contains' ? hay.includes(n) : mode === 'startsWith' ? hay.startsWith(n) : hay.endsWith(n);
  }
}

function digits(n: number): number {
  return String(n).length;
}

/** The most a text takes in JSON as UTF-8: its quotes, escapes (\u00XX for control characters) and multi-byte characters. */
function jsonTextBytes(text: string): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20) bytes += 6;
    else if (code === 0x22 || code === 0x5c) bytes += 2;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    // A surrogate pair is 4 bytes, 2 for each half; a lone surrogate is written as \uXXXX.
    else if (code >= 0xd800 && code <= 0xdfff) bytes += isPaired(text, i) ? 2 : 6;
    else bytes += 3;
  }
  return bytes;
}

function isPaired(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  const previous = text.charCodeAt(i - 1);
  return previous >= 0xd800 && previous <= 0xdbff;
}
