/**
 * Stage 4: running a compiled program. Pure and synchronous: the engine reads only the context it is given,
 * performs no I/O, and returns the effects for the host to apply. Bounded by budgets (steps, depth, effects,
 * sizes), never by timers: in Workers the clock does not advance during pure CPU work. `runProgram` never throws.
 */
import type { Budgets, CompiledExpr, CompiledProgram, Effect, RunContext, RunResult, ScriptError, TraceStep } from './types';

export const DEFAULT_BUDGETS: Budgets = {
  maxSourceChars: 64 * 1024,
  maxDepth: 32,
  maxSteps: 10_000,
  maxEffects: 200,
  maxStringChars: 4096,
  maxListItems: 1000,
  maxVariables: 100,
};

export interface RunOptions {
  /** Record every action with its inputs and output (the designer's test run). */
  dryRun?: boolean;
  trace?: boolean;
  budgets?: Partial<Budgets>;
}

/** Claims and the user are passed around as these wrappers so scripts cannot confuse them with plain values. */
class ClaimsValue {
  constructor(readonly values: ReadonlyMap<string, readonly string[]>) {}
}
class UserValue {
  constructor(readonly fields: Map<string, string | boolean>) {}
}
type Value = string | number | boolean | null | Value[] | ClaimsValue | UserValue;

class ScriptFailure {
  constructor(readonly error: ScriptError) {}
}
class DenySignal {
  constructor(readonly reason: string) {}
}

export function runProgram(program: CompiledProgram, context: RunContext, options: RunOptions = {}): RunResult {
  return new Interpreter(options).run(program, context);
}

/**
 * One run's state. Written as a class with methods, not closures: functions created per run or per action cost
 * more than the work itself (bundlers that keep function names wrap every closure they create).
 */
class Interpreter {
  private readonly budgets: Budgets;
  private readonly tracing: boolean;
  private readonly trace: TraceStep[] = [];
  private readonly effects: Effect[] = [];
  private readonly variables = new Map<string, Value>();
  private readonly user = new UserValue(new Map());
  private claims = new ClaimsValue(new Map());
  private userId = '';
  private saved = new Map<string, string | boolean>();
  private steps = 0;
  private line = 1;
  private column = 1;

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
      this.saved = new Map(this.user.fields);
      this.userId = context.userId;
      this.runBlock(program.actions, 1);
      return this.finish('success');
    } catch (signal) {
      if (signal instanceof DenySignal) return this.finish('success', { denied: signal.reason });
      if (signal instanceof ScriptFailure) return this.finish('error', { error: signal.error });
      // A bug in the engine itself (or a host object misbehaving): still a result, never an exception.
      return this.finish('error', { error: { code: 'INTERNAL', message: String((signal as Error)?.message ?? signal), line: this.line, column: this.column } });
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
    };
    if (extra.denied !== undefined) result.denied = extra.denied;
    if (extra.error) result.error = extra.error;
    if (this.tracing) result.trace = this.trace;
    return result;
  }

  private fail(code: string, message: string): never {
    throw new ScriptFailure({ code, message, line: this.line, column: this.column });
  }

  private runBlock(actions: CompiledExpr[], depth: number): void {
    for (const action of actions) this.evaluate(action, depth);
  }

  private evaluate(expr: CompiledExpr, depth: number): Value {
    if (depth > this.budgets.maxDepth) this.fail('TOO_DEEP', `Nesting deeper than ${this.budgets.maxDepth} levels.`);
    switch (expr[0]) {
      case 0:
        return expr[1];
      case 1: {
        const name = expr[1];
        if (name === 'Context.Claims') return this.claims;
        if (name === 'Context.User') return this.user;
        if (name === 'Context.UserId') return this.userId;
        if (!this.variables.has(name)) this.fail('UNKNOWN_VARIABLE', `The variable "${name}" has no value here.`);
        return this.variables.get(name)!;
      }
      case 2: {
        if (expr[1].length > this.budgets.maxListItems) this.fail('LIST_TOO_LONG', `A list has more than ${this.budgets.maxListItems} items.`);
        const items: Value[] = [];
        for (const item of expr[1]) items.push(this.evaluate(item, depth + 1));
        return items;
      }
      case 3:
        return this.runAction(expr, depth);
    }
  }

  /** Evaluates parameter `index` of the action at (line, column), restoring the location for error messages. */
  private arg(params: Array<CompiledExpr | null>, index: number, depth: number, line: number, column: number): Value {
    const param = params[index];
    if (!param) return null;
    const value = this.evaluate(param, depth + 1);
    this.line = line;
    this.column = column;
    return value;
  }

  private runAction(expr: Extract<CompiledExpr, [3, ...unknown[]]>, depth: number): Value {
    const [, name, params, line, column] = expr;
    this.line = line;
    this.column = column;
    if (++this.steps > this.budgets.maxSteps) this.fail('STEP_BUDGET_EXCEEDED', `The script ran more than ${this.budgets.maxSteps} actions.`);
    const inputs: Record<string, unknown> | null = this.tracing ? {} : null;
    let output: Value = null;
    switch (name) {
      case 'GetEntry': {
        const source = params[0] ? this.arg(params, 0, depth, line, column) : this.claims;
        if (!(source instanceof ClaimsValue)) this.fail('WRONG_TYPE', 'GetEntry reads claims, e.g. { var: Context.Claims }.');
        const key = this.text(this.record(inputs, 'key', this.arg(params, 1, depth, line, column)), 'key');
        const index = this.record(inputs, 'index', this.arg(params, 2, depth, line, column));
        const values = (source as ClaimsValue).values.get(key) ?? [];
        if (index === null) output = [...values];
        else {
          if (typeof index !== 'number' || !Number.isInteger(index)) this.fail('WRONG_TYPE', '`index` is a whole number.');
          const position = (index as number) < 0 ? values.length + (index as number) : (index as number);
          output = values[position] ?? '';
        }
        break;
      }
      case 'GetValue': {
        const object = this.userOf(this.arg(params, 0, depth, line, column));
        const field = this.fieldName(this.record(inputs, 'field', this.arg(params, 1, depth, line, column)));
        if (!object.fields.has(field)) this.fail('UNKNOWN_FIELD', `The user has no field "${field}".`);
        output = object.fields.get(field)!;
        break;
      }
      case 'SetValue': {
        const object = this.userOf(this.arg(params, 0, depth, line, column));
        const field = this.fieldName(this.record(inputs, 'field', this.arg(params, 1, depth, line, column)));
        const value = this.record(inputs, 'value', this.arg(params, 2, depth, line, column));
        if (!object.fields.has(field)) this.fail('UNKNOWN_FIELD', `The user has no field "${field}".`);
        object.fields.set(field, this.fieldValue(value, typeof object.fields.get(field) === 'boolean' ? 'boolean' : 'string'));
        break;
      }
      case 'SaveInstance': {
        const object = this.userOf(this.arg(params, 0, depth, line, column));
        const changes: Record<string, string | boolean> = {};
        let changed = false;
        for (const [field, value] of object.fields) {
          if (this.saved.get(field) !== value) {
            changes[field] = value;
            changed = true;
          }
        }
        if (changed) {
          this.addEffect({ kind: 'saveUser', changes });
          this.saved = new Map(object.fields);
        }
        break;
      }
      case 'EqualTo':
      case 'NotEqualTo': {
        const left = this.record(inputs, 'left', this.arg(params, 0, depth, line, column));
        const right = this.record(inputs, 'right', this.arg(params, 1, depth, line, column));
        const equal = this.equals(left, right, truthy(this.arg(params, 2, depth, line, column)));
        output = name === 'EqualTo' ? equal : !equal;
        break;
      }
      case 'And':
      case 'Or': {
        // Short-circuit: later conditions are not evaluated once the answer is known.
        const list = params[0];
        const conditions = list && list[0] === 2 ? list[1] : [];
        output = name === 'And';
        for (const condition of conditions) {
          const value = truthy(this.evaluate(condition, depth + 1));
          if (name === 'And' ? !value : value) {
            output = !output;
            break;
          }
        }
        this.line = line;
        this.column = column;
        break;
      }
      case 'Not':
        output = !truthy(this.record(inputs, 'value', this.arg(params, 0, depth, line, column)));
        break;
      case 'Contains':
      case 'StartsWith':
      case 'EndsWith': {
        const value = this.record(inputs, 'value', this.arg(params, 0, depth, line, column));
        const needle = this.text(this.record(inputs, name === 'Contains' ? 'search' : name === 'StartsWith' ? 'prefix' : 'suffix', this.arg(params, 1, depth, line, column)), 'search');
        output = this.matches(name, value, needle, truthy(this.arg(params, 2, depth, line, column)));
        break;
      }
      case 'IsEmpty': {
        const value = this.record(inputs, 'value', this.arg(params, 0, depth, line, column));
        output = value === null || value === '' || (Array.isArray(value) && value.length === 0);
        break;
      }
      case 'IfThenElse': {
        const condition = truthy(this.record(inputs, 'if', this.arg(params, 0, depth, line, column)));
        if (inputs) this.trace.push({ action: name, line, column, inputs, output: condition });
        this.runBlock(blockOf(params[condition ? 1 : 2]), depth + 1);
        return null;
      }
      case 'ForEach': {
        const items = this.record(inputs, 'items', this.arg(params, 0, depth, line, column));
        const as = this.text(this.arg(params, 1, depth, line, column), 'as');
        const list = Array.isArray(items) ? items : items === null ? [] : [items];
        if (list.length > this.budgets.maxListItems) this.fail('LIST_TOO_LONG', `ForEach over more than ${this.budgets.maxListItems} items.`);
        if (inputs) this.trace.push({ action: name, line, column, inputs, output: list.length });
        const body = blockOf(params[2]);
        for (const item of list) {
          this.setVariable(as, item);
          this.runBlock(body, depth + 1);
        }
        return null;
      }
      case 'Let':
        this.setVariable(this.text(this.arg(params, 0, depth, line, column), 'name'), this.record(inputs, 'value', this.arg(params, 1, depth, line, column)));
        break;
      case 'Concat': {
        const parts = this.arg(params, 0, depth, line, column);
        let joined = '';
        for (const part of Array.isArray(parts) ? parts : [parts]) joined += this.scalarText(part);
        if (joined.length > this.budgets.maxStringChars) this.fail('STRING_TOO_LONG', `Concat built a text longer than ${this.budgets.maxStringChars} characters.`);
        output = joined;
        break;
      }
      case 'Comment':
        break;
      case 'Deny': {
        const reason = this.scalarText(this.record(inputs, 'reason', this.arg(params, 0, depth, line, column))).slice(0, 500) || 'denied by the sign-in script';
        if (inputs) this.trace.push({ action: name, line, column, inputs, output: null });
        throw new DenySignal(reason);
      }
      case 'AddUserToOffice':
      case 'DeleteUserFromOffice':
      case 'AddUserToGroup':
      case 'DeleteUserFromGroup': {
        const isOffice = name.endsWith('Office');
        const userId = this.text(this.record(inputs, 'userId', this.arg(params, 0, depth, line, column)), 'userId');
        const targetId = this.text(this.record(inputs, isOffice ? 'officeId' : 'groupId', this.arg(params, 1, depth, line, column)), isOffice ? 'officeId' : 'groupId');
        const adding = name.startsWith('Add');
        this.addEffect(
          isOffice
            ? { kind: adding ? 'addToOffice' : 'removeFromOffice', userId, officeId: targetId }
            : { kind: adding ? 'addToGroup' : 'removeFromGroup', userId, groupId: targetId },
        );
        break;
      }
      default:
        this.fail('UNKNOWN_ACTION', `There is no action "${name}".`);
    }
    if (inputs) this.trace.push({ action: name, line, column, inputs, output: present(output) });
    return output;
  }

  private loadClaims(claims: Record<string, readonly string[]>): ClaimsValue {
    const budgets = this.budgets;
    const map = new Map<string, readonly string[]>();
    const entries = Object.entries(claims ?? {});
    if (entries.length > budgets.maxListItems) this.fail('INPUT_TOO_LARGE', `More than ${budgets.maxListItems} claims were received.`);
    for (const [name, values] of entries) {
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
      const list = Array.isArray(values) ? values : [values as unknown as string];
      if (list.length > budgets.maxListItems) this.fail('INPUT_TOO_LARGE', `The claim "${name.slice(0, 100)}" has more than ${budgets.maxListItems} values.`);
      for (const value of list) {
        if (typeof value !== 'string') this.fail('INPUT_TOO_LARGE', `The claim "${name.slice(0, 100)}" has a value that is not text.`);
        if (value.length > budgets.maxStringChars) this.fail('INPUT_TOO_LARGE', `A value of the claim "${name.slice(0, 100)}" is longer than ${budgets.maxStringChars} characters.`);
      }
      map.set(name, list);
    }
    return new ClaimsValue(map);
  }

  private record(inputs: Record<string, unknown> | null, key: string, value: Value): Value {
    if (inputs) inputs[key] = present(value);
    return value;
  }

  private addEffect(effect: Effect): void {
    if (this.effects.length >= this.budgets.maxEffects) this.fail('EFFECT_BUDGET_EXCEEDED', `The script produced more than ${this.budgets.maxEffects} changes.`);
    this.effects.push(effect);
  }

  private setVariable(name: string, value: Value): void {
    if (name.startsWith('Context.') || name === '__proto__' || name === 'constructor' || name === 'prototype') this.fail('FORBIDDEN_NAME', `"${name}" cannot be used as a variable name.`);
    if (!this.variables.has(name) && this.variables.size >= this.budgets.maxVariables) this.fail('TOO_MANY_VARIABLES', `More than ${this.budgets.maxVariables} variables.`);
    this.variables.set(name, value);
  }

  private userOf(value: Value): UserValue {
    return value instanceof UserValue ? value : this.fail('WRONG_TYPE', 'This action works on a user, e.g. { var: Context.User }.');
  }

  private text(value: Value, what: string): string {
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') this.fail('WRONG_TYPE', `"${what}" must be text.`);
    return value as string;
  }

  private fieldName(value: Value): string {
    const name = this.text(value, 'field');
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') this.fail('FORBIDDEN_NAME', `"${name}" cannot be used as a field name.`);
    return name;
  }

  private fieldValue(value: Value, type: 'string' | 'boolean'): string | boolean {
    if (type === 'boolean') {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return this.fail('WRONG_TYPE', 'This field takes true or false.');
    }
    if (Array.isArray(value)) {
      // A claim's value list: a single value is the usual case; more than one is ambiguous.
      if (value.length > 1) this.fail('WRONG_TYPE', 'This field takes one text, but the value is a list of several; pick one with `index`.');
      return this.scalarText(value[0] ?? '');
    }
    const result = this.scalarText(value);
    if (result.length > this.budgets.maxStringChars) this.fail('STRING_TOO_LONG', `A text is longer than ${this.budgets.maxStringChars} characters.`);
    return result;
  }

  private scalarText(value: Value): string {
    if (value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail('WRONG_TYPE', 'A text was expected here, not a list, the claims or a user.');
  }

  private equals(left: Value, right: Value, ignoreCase: boolean): boolean {
    if (Array.isArray(left)) return left.some((item) => this.equals(item, right, ignoreCase));
    if (Array.isArray(right)) return right.some((item) => this.equals(left, item, ignoreCase));
    if (left instanceof ClaimsValue || left instanceof UserValue || right instanceof ClaimsValue || right instanceof UserValue) return left === right;
    if (typeof left === 'boolean' || typeof right === 'boolean') return left === right || String(left) === String(right);
    const a = this.scalarText(left);
    const b = this.scalarText(right);
    return ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;
  }

  private matches(action: string, value: Value, needle: string, ignoreCase: boolean): boolean {
    if (Array.isArray(value)) return action === 'Contains' ? value.some((item) => this.equals(item, needle, ignoreCase)) : value.some((item) => this.matches(action, item, needle, ignoreCase));
    const hay = ignoreCase ? this.scalarText(value).toLowerCase() : this.scalarText(value);
    const n = ignoreCase ? needle.toLowerCase() : needle;
    return action === 'Contains' ? hay.includes(n) : action === 'StartsWith' ? hay.startsWith(n) : hay.endsWith(n);
  }
}

function blockOf(param: CompiledExpr | null | undefined): CompiledExpr[] {
  return param && param[0] === 2 ? param[1] : [];
}

function truthy(value: Value): boolean {
  if (value === null || value === '' || value === false || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** How values appear in a trace: plain JSON, the claims and user as objects. */
function present(value: Value): unknown {
  if (value instanceof ClaimsValue) return Object.fromEntries(value.values);
  if (value instanceof UserValue) return Object.fromEntries(value.fields);
  if (Array.isArray(value)) return value.map(present);
  return value;
}
