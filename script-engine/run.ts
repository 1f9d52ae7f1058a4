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
  const budgets: Budgets = { ...DEFAULT_BUDGETS, ...options.budgets };
  const tracing = Boolean(options.dryRun || options.trace);
  const trace: TraceStep[] = [];
  const effects: Effect[] = [];
  const variables = new Map<string, Value>();
  const user = new UserValue(new Map());
  let saved = new Map<string, string | boolean>();
  let steps = 0;
  let where = { line: 1, column: 1 };

  const fail = (code: string, message: string): never => {
    throw new ScriptFailure({ code, message, ...where });
  };

  const finish = (result: Omit<RunResult, 'user' | 'steps' | 'trace' | 'effects'> & { effects?: Effect[] }): RunResult => ({
    effects: result.effects ?? effects,
    ...result,
    user: Object.fromEntries(user.fields),
    steps,
    ...(tracing ? { trace } : {}),
  });

  try {
    const claims = loadClaims(context.claims, budgets, fail);
    for (const [name, value] of Object.entries(context.user)) {
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
      user.fields.set(name, value);
    }
    saved = new Map(user.fields);
    const contextValues = new Map<string, Value>([
      ['Context.Claims', claims],
      ['Context.User', user],
      ['Context.UserId', context.userId],
    ]);

    const runBlock = (actions: CompiledExpr[], depth: number) => {
      for (const action of actions) evaluate(action, depth);
    };

    const evaluate = (expr: CompiledExpr, depth: number): Value => {
      if (depth > budgets.maxDepth) fail('TOO_DEEP', `Nesting deeper than ${budgets.maxDepth} levels.`);
      switch (expr[0]) {
        case 0:
          return expr[1];
        case 1: {
          const name = expr[1];
          if (contextValues.has(name)) return contextValues.get(name)!;
          if (!variables.has(name)) fail('UNKNOWN_VARIABLE', `The variable "${name}" has no value here.`);
          return variables.get(name)!;
        }
        case 2: {
          if (expr[1].length > budgets.maxListItems) fail('LIST_TOO_LONG', `A list has more than ${budgets.maxListItems} items.`);
          return expr[1].map((item) => evaluate(item, depth + 1));
        }
        case 3:
          return runAction(expr, depth);
      }
    };

    const runAction = (expr: Extract<CompiledExpr, [3, ...unknown[]]>, depth: number): Value => {
      const [, name, params, line, column] = expr;
      where = { line, column };
      if (++steps > budgets.maxSteps) fail('STEP_BUDGET_EXCEEDED', `The script ran more than ${budgets.maxSteps} actions.`);
      const arg = (index: number): Value => {
        const param = params[index];
        const value = param ? evaluate(param, depth + 1) : null;
        where = { line, column };
        return value;
      };
      const block = (index: number): CompiledExpr[] => {
        const param = params[index];
        return param && param[0] === 2 ? param[1] : [];
      };
      const inputs: Record<string, unknown> = {};
      const record = (key: string, value: Value) => {
        if (tracing) inputs[key] = present(value);
        return value;
      };
      let output: Value = null;
      switch (name) {
        case 'GetEntry': {
          const source = params[0] ? arg(0) : claims;
          if (!(source instanceof ClaimsValue)) fail('WRONG_TYPE', 'GetEntry reads claims, e.g. { var: Context.Claims }.');
          const key = text(record('key', arg(1)), 'key');
          const index = record('index', arg(2));
          const values = (source as ClaimsValue).values.get(key) ?? [];
          if (index === null) output = [...values];
          else {
            if (typeof index !== 'number' || !Number.isInteger(index)) fail('WRONG_TYPE', '`index` is a whole number.');
            const position = (index as number) < 0 ? values.length + (index as number) : (index as number);
            output = values[position] ?? '';
          }
          break;
        }
        case 'GetValue': {
          const object = userOf(arg(0));
          const field = fieldName(record('field', arg(1)));
          if (!object.fields.has(field)) fail('UNKNOWN_FIELD', `The user has no field "${field}".`);
          output = object.fields.get(field)!;
          break;
        }
        case 'SetValue': {
          const object = userOf(arg(0));
          const field = fieldName(record('field', arg(1)));
          const value = record('value', arg(2));
          if (!object.fields.has(field)) fail('UNKNOWN_FIELD', `The user has no field "${field}".`);
          const current = object.fields.get(field);
          object.fields.set(field, fieldValue(value, typeof current === 'boolean' ? 'boolean' : 'string'));
          break;
        }
        case 'SaveInstance': {
          const object = userOf(arg(0));
          const changes: Record<string, string | boolean> = {};
          for (const [field, value] of object.fields) if (saved.get(field) !== value) changes[field] = value;
          if (Object.keys(changes).length > 0) {
            addEffect({ kind: 'saveUser', changes });
            saved = new Map(object.fields);
          }
          output = null;
          break;
        }
        case 'EqualTo':
        case 'NotEqualTo': {
          const ignoreCase = truthy(arg(2));
          const equal = equals(record('left', arg(0)), record('right', arg(1)), ignoreCase);
          output = name === 'EqualTo' ? equal : !equal;
          break;
        }
        case 'And':
        case 'Or': {
          // Short-circuit: later conditions are not evaluated once the answer is known.
          const conditions = params[0] && params[0][0] === 2 ? params[0][1] : [];
          output = name === 'And';
          for (const condition of conditions) {
            const value = truthy(evaluate(condition, depth + 1));
            if (name === 'And' && !value) {
              output = false;
              break;
            }
            if (name === 'Or' && value) {
              output = true;
              break;
            }
          }
          where = { line, column };
          break;
        }
        case 'Not':
          output = !truthy(record('value', arg(0)));
          break;
        case 'Contains':
        case 'StartsWith':
        case 'EndsWith': {
          const value = record('value', arg(0));
          const needle = text(record(name === 'Contains' ? 'search' : name === 'StartsWith' ? 'prefix' : 'suffix', arg(1)), 'search');
          const ignoreCase = truthy(arg(2));
          const norm = (s: string) => (ignoreCase ? s.toLowerCase() : s);
          const test = (candidate: Value): boolean => {
            if (Array.isArray(candidate)) return name === 'Contains' ? candidate.some((item) => equals(item, needle, ignoreCase)) : candidate.some(test);
            const hay = norm(scalarText(candidate));
            const n = norm(needle);
            return name === 'Contains' ? hay.includes(n) : name === 'StartsWith' ? hay.startsWith(n) : hay.endsWith(n);
          };
          output = test(value);
          break;
        }
        case 'IsEmpty': {
          const value = record('value', arg(0));
          output = value === null || value === '' || (Array.isArray(value) && value.length === 0);
          break;
        }
        case 'IfThenElse': {
          const condition = truthy(record('if', arg(0)));
          output = condition;
          if (tracing) trace.push({ action: name, line, column, inputs, output });
          runBlock(condition ? block(1) : block(2), depth + 1);
          return null;
        }
        case 'ForEach': {
          const items = record('items', arg(0));
          const as = text(arg(1), 'as');
          const list = Array.isArray(items) ? items : items === null ? [] : [items];
          if (list.length > budgets.maxListItems) fail('LIST_TOO_LONG', `ForEach over more than ${budgets.maxListItems} items.`);
          if (tracing) trace.push({ action: name, line, column, inputs, output: list.length });
          for (const item of list) {
            setVariable(as, item);
            runBlock(block(2), depth + 1);
          }
          return null;
        }
        case 'Let':
          setVariable(text(arg(0), 'name'), record('value', arg(1)));
          break;
        case 'Concat': {
          const parts = arg(0);
          output = (Array.isArray(parts) ? parts : [parts]).map(scalarText).join('');
          if ((output as string).length > budgets.maxStringChars) fail('STRING_TOO_LONG', `Concat built a text longer than ${budgets.maxStringChars} characters.`);
          break;
        }
        case 'Comment':
          break;
        case 'Deny': {
          const reason = scalarText(record('reason', arg(0))).slice(0, 500) || 'denied by the sign-in script';
          if (tracing) trace.push({ action: name, line, column, inputs, output: null });
          throw new DenySignal(reason);
        }
        case 'AddUserToOffice':
        case 'DeleteUserFromOffice':
        case 'AddUserToGroup':
        case 'DeleteUserFromGroup': {
          const userId = text(record('userId', arg(0)), 'userId');
          const isOffice = name.endsWith('Office');
          const targetId = text(record(isOffice ? 'officeId' : 'groupId', arg(1)), isOffice ? 'officeId' : 'groupId');
          const adding = name.startsWith('Add');
          addEffect(
            isOffice
              ? { kind: adding ? 'addToOffice' : 'removeFromOffice', userId, officeId: targetId }
              : { kind: adding ? 'addToGroup' : 'removeFromGroup', userId, groupId: targetId },
          );
          break;
        }
        default:
          fail('UNKNOWN_ACTION', `There is no action "${name}".`);
      }
      if (tracing) trace.push({ action: name, line, column, inputs, output: present(output) });
      return output;
    };

    const addEffect = (effect: Effect) => {
      if (effects.length >= budgets.maxEffects) fail('EFFECT_BUDGET_EXCEEDED', `The script produced more than ${budgets.maxEffects} changes.`);
      effects.push(effect);
    };
    const setVariable = (name: string, value: Value) => {
      if (name.startsWith('Context.') || name === '__proto__' || name === 'constructor' || name === 'prototype') fail('FORBIDDEN_NAME', `"${name}" cannot be used as a variable name.`);
      if (!variables.has(name) && variables.size >= budgets.maxVariables) fail('TOO_MANY_VARIABLES', `More than ${budgets.maxVariables} variables.`);
      variables.set(name, value);
    };
    const userOf = (value: Value): UserValue => (value instanceof UserValue ? value : fail('WRONG_TYPE', 'This action works on a user, e.g. { var: Context.User }.'));
    const text = (value: Value, what: string): string => {
      if (typeof value === 'number') return String(value);
      if (typeof value !== 'string') fail('WRONG_TYPE', `"${what}" must be text.`);
      return value as string;
    };
    const fieldName = (value: Value): string => {
      const name = text(value, 'field');
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') fail('FORBIDDEN_NAME', `"${name}" cannot be used as a field name.`);
      return name;
    };
    const fieldValue = (value: Value, type: 'string' | 'boolean'): string | boolean => {
      if (type === 'boolean') {
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        return fail('WRONG_TYPE', 'This field takes true or false.');
      }
      if (Array.isArray(value)) {
        // A claim's value list: a single value is the usual case; more than one is ambiguous.
        if (value.length > 1) fail('WRONG_TYPE', 'This field takes one text, but the value is a list of several; pick one with `index`.');
        return scalarText(value[0] ?? '');
      }
      const result = scalarText(value);
      if (result.length > budgets.maxStringChars) fail('STRING_TOO_LONG', `A text is longer than ${budgets.maxStringChars} characters.`);
      return result;
    };
    const scalarText = (value: Value): string => {
      if (value === null) return '';
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail('WRONG_TYPE', 'A text was expected here, not a list, the claims or a user.');
    };
    const equals = (left: Value, right: Value, ignoreCase: boolean): boolean => {
      if (Array.isArray(left)) return left.some((item) => equals(item, right, ignoreCase));
      if (Array.isArray(right)) return right.some((item) => equals(left, item, ignoreCase));
      if (left instanceof ClaimsValue || left instanceof UserValue || right instanceof ClaimsValue || right instanceof UserValue) return left === right;
      if (typeof left === 'boolean' || typeof right === 'boolean') return left === right || String(left) === String(right);
      const a = scalarText(left);
      const b = scalarText(right);
      return ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;
    };

    runBlock(program.actions, 1);
    return finish({ outcome: 'success' });
  } catch (signal) {
    if (signal instanceof DenySignal) return finish({ outcome: 'success', denied: signal.reason, effects: [] });
    if (signal instanceof ScriptFailure) return finish({ outcome: 'error', error: signal.error, effects: [] });
    // A bug in the engine itself (or a host object misbehaving): still a result, never an exception.
    return finish({ outcome: 'error', error: { code: 'INTERNAL', message: String((signal as Error)?.message ?? signal), ...where }, effects: [] });
  }
}

function loadClaims(claims: Record<string, readonly string[]>, budgets: Budgets, fail: (code: string, message: string) => never): ClaimsValue {
  const map = new Map<string, readonly string[]>();
  const entries = Object.entries(claims ?? {});
  if (entries.length > budgets.maxListItems) fail('INPUT_TOO_LARGE', `More than ${budgets.maxListItems} claims were received.`);
  for (const [name, values] of entries) {
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') continue;
    const list = Array.isArray(values) ? values : [values as unknown as string];
    if (list.length > budgets.maxListItems) fail('INPUT_TOO_LARGE', `The claim "${name.slice(0, 100)}" has more than ${budgets.maxListItems} values.`);
    for (const value of list) {
      if (typeof value !== 'string') fail('INPUT_TOO_LARGE', `The claim "${name.slice(0, 100)}" has a value that is not text.`);
      if (value.length > budgets.maxStringChars) fail('INPUT_TOO_LARGE', `A value of the claim "${name.slice(0, 100)}" is longer than ${budgets.maxStringChars} characters.`);
    }
    map.set(name, list);
  }
  return new ClaimsValue(map);
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
