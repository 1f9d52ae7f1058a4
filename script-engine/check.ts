/**
 * Stage 2: meaning. Resolves aliases and short forms, and reports unknown actions, parameters, variables, user
 * fields and ids, wrong types, missing parts and unreachable actions, each at its line:column. The output tree
 * is normalised (canonical action names, named parameters only) and is what the compiler translates.
 */
import { CONTEXT_VARIABLE_TYPES, FORBIDDEN_NAMES, findAction, type ActionSpec, type ValueType } from './actions';
import { DEFAULT_BUDGETS } from './budgets';
import { scriptProblem, type ProblemParams, type ScriptProblem } from './problems';
import type { CompileOptions, Expr, Location, ParsedScript, ScriptError } from './types';

export interface CheckResult {
  errors: ScriptError[];
  warnings: ScriptError[];
  /** The normalised tree (only meaningful when there are no errors). */
  script: ParsedScript;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,63}$/;

export function checkParsed(parsed: ParsedScript, options: CompileOptions = {}): CheckResult {
  const errors: ScriptError[] = [];
  const warnings: ScriptError[] = [];
  const fail = (problem: ScriptProblem, params: ProblemParams, where: Location) => errors.push(scriptProblem(problem, params, where));
  const warn = (problem: ScriptProblem, params: ProblemParams, where: Location) => warnings.push(scriptProblem(problem, params, where));
  const fieldByName = options.userFields ? new Map(options.userFields.map((f) => [f.name, f])) : null;
  const officeIds = options.knownOfficeIds ? new Set(options.knownOfficeIds) : null;
  const groupIds = options.knownGroupIds ? new Set(options.knownGroupIds) : null;
  const budgets = { ...DEFAULT_BUDGETS, ...options.budgets };

  if (parsed.actions.length === 0) warn('emptyScript', {}, { line: 1, column: 1 });
  const actions = checkBlock(parsed.actions, new Set());
  return { errors, warnings, script: { ...parsed, actions } };

  /** A list of actions run in order; variables defined by Let are visible to the actions after it. */
  function checkBlock(items: Expr[], outerScope: ReadonlySet<string>): Expr[] {
    const scope = new Set(outerScope);
    let deniedAt: Location | null = null;
    const result: Expr[] = [];
    for (const item of items) {
      if (deniedAt) {
        fail('unreachable', { line: deniedAt.line }, item.at);
        deniedAt = null;
      }
      if (item.kind !== 'action') {
        fail('notAnAction', {}, item.at);
        continue;
      }
      const checked = checkAction(item, scope);
      result.push(checked.expr);
      if (checked.spec?.name === 'Deny') deniedAt = item.at;
    }
    return result;
  }

  /** Checks a value used as a parameter and returns it normalised with its static type. */
  function checkValue(expr: Expr, scope: Set<string>): { expr: Expr; type: ValueType } {
    switch (expr.kind) {
      case 'const':
        // The run refuses to build such values; a constant must not be a way around that.
        if (typeof expr.value === 'string' && expr.value.length > budgets.maxStringChars) fail('stringTooLong', { max: budgets.maxStringChars }, expr.at);
        return { expr, type: typeof expr.value === 'string' ? 'string' : typeof expr.value === 'number' ? 'number' : typeof expr.value === 'boolean' ? 'boolean' : 'any' };
      case 'var': {
        const contextType = CONTEXT_VARIABLE_TYPES.get(expr.name);
        if (contextType) return { expr, type: contextType };
        if (!scope.has(expr.name)) fail('unknownVariable', { name: expr.name, contextVariables: [...CONTEXT_VARIABLE_TYPES.keys()].join(', ') }, expr.at);
        return { expr, type: 'any' };
      }
      case 'list':
        if (expr.items.length > budgets.maxListItems) fail('listTooLong', { max: budgets.maxListItems }, expr.at);
        return { expr: { ...expr, items: expr.items.map((item) => checkValue(item, scope).expr) }, type: 'list' };
      case 'action': {
        const checked = checkAction(expr, scope);
        if (checked.spec?.result === 'none') fail('noValue', { action: checked.spec.name }, expr.at);
        return { expr: checked.expr, type: checked.spec?.result ?? 'any' };
      }
    }
  }

  function checkAction(expr: Extract<Expr, { kind: 'action' }>, scope: Set<string>): { expr: Expr; spec: ActionSpec | null } {
    const spec = findAction(expr.name);
    if (!spec) {
      fail('unknownAction', { name: expr.name }, expr.at);
      return { expr, spec: null };
    }
    const given = expandPositional(spec, expr);
    const params: Record<string, Expr> = Object.create(null);
    const paramAt: Record<string, Location> = Object.create(null);
    for (const name of Object.keys(given.params)) {
      if (!spec.parameters.some((param) => param.name === name)) {
        fail('unknownParameter', { action: spec.name, name, parameters: spec.parameters.map((param) => param.name).join(', ') }, given.paramAt[name] ?? expr.at);
      }
    }
    for (const param of spec.parameters) {
      const value = given.params[param.name];
      const where = given.paramAt[param.name] ?? expr.at;
      if (value === undefined) {
        if (param.required) fail('missingParameter', { action: spec.name, name: param.name }, expr.at);
        continue;
      }
      paramAt[param.name] = where;
      if (param.type === 'actions') {
        if (value.kind !== 'list') {
          fail('notActionList', { action: spec.name, name: param.name }, value.at);
          continue;
        }
        const inner = new Set(scope);
        if (spec.name === 'ForEach') {
          const as = given.params['as'];
          if (as?.kind === 'const' && typeof as.value === 'string') inner.add(as.value);
        }
        if (value.items.length === 0 && param.required) warn('emptyBlock', { action: spec.name, name: param.name }, value.at);
        params[param.name] = { ...value, items: checkBlock(value.items, inner) };
        continue;
      }
      if (param.constant && value.kind !== 'const') {
        fail('mustBeConstant', { action: spec.name, name: param.name }, value.at);
        continue;
      }
      const checked = checkValue(value, scope);
      params[param.name] = checked.expr;
      if (!compatible(param.type, checked.type)) fail('wrongType', { action: spec.name, name: param.name, expected: param.type, actual: checked.type }, value.at);
    }
    checkSpecifics(spec, params, scope);
    return { expr: { kind: 'action', name: spec.name, params, at: expr.at, paramAt }, spec };
  }

  /** Rules that depend on the action: variable names, user fields, ids. */
  function checkSpecifics(spec: ActionSpec, params: Record<string, Expr>, scope: Set<string>) {
    const constant = (name: string) => {
      const value = params[name];
      return value?.kind === 'const' && typeof value.value === 'string' ? { value: value.value, at: value.at } : null;
    };
    if (spec.name === 'Let' || spec.name === 'ForEach') {
      const name = constant(spec.name === 'Let' ? 'name' : 'as');
      if (name) {
        if (FORBIDDEN_NAMES.has(name.value) || !VARIABLE_NAME.test(name.value)) fail('badVariableName', { name: name.value }, name.at);
        else if (name.value.startsWith('Context.') || name.value === 'Context') fail('contextReplaced', {}, name.at);
        else if (spec.name === 'Let') scope.add(name.value);
      }
    }
    if ((spec.name === 'GetValue' || spec.name === 'SetValue') && fieldByName) {
      const field = constant('field');
      if (field) {
        const info = fieldByName.get(field.value);
        if (FORBIDDEN_NAMES.has(field.value)) fail('forbiddenFieldName', { name: field.value }, field.at);
        else if (!info) fail('unknownUserField', { name: field.value, fields: [...fieldByName.keys()].join(', ') }, field.at);
        else if (spec.name === 'SetValue' && !info.writable) fail('readOnlyField', { name: field.value }, field.at);
        else if (spec.name === 'SetValue') {
          const value = params['value'];
          if (value?.kind === 'const' && value.value !== null && typeof value.value !== info.type) fail('fieldValueType', { name: field.value, type: info.type }, value.at);
        }
      }
    }
    const idChecks: Array<[string, ReadonlySet<string> | null, 'office' | 'group']> = [
      ['officeId', officeIds, 'office'],
      ['groupId', groupIds, 'group'],
    ];
    for (const [name, known, kind] of idChecks) {
      const id = constant(name);
      if (id && known && !known.has(id.value)) fail('unknownId', { kind, id: id.value }, id.at);
    }
    const key = constant('key');
    if (spec.name === 'GetEntry' && key && FORBIDDEN_NAMES.has(key.value)) fail('forbiddenClaimName', { name: key.value }, key.at);
  }

  /** `EqualTo: [a, b]` -> left/right; `And: [c1, c2]` -> conditions; `Comment: text` -> text. */
  function expandPositional(spec: ActionSpec, expr: Extract<Expr, { kind: 'action' }>) {
    const positional = expr.params['#positional'];
    if (!positional) return { params: expr.params, paramAt: expr.paramAt };
    const where = expr.paramAt['#positional'] ?? expr.at;
    const names = spec.positional ?? [];
    const params: Record<string, Expr> = Object.create(null);
    const paramAt: Record<string, Location> = Object.create(null);
    if (names.length === 1 && names[0]!.endsWith('*')) {
      const name = names[0]!.slice(0, -1);
      params[name] = positional.kind === 'list' ? positional : { kind: 'list', items: [positional], at: positional.at };
      paramAt[name] = where;
    } else if (names.length === 1) {
      params[names[0]!] = positional;
      paramAt[names[0]!] = where;
    } else if (names.length > 1 && positional.kind === 'list' && positional.items.length <= names.length) {
      positional.items.forEach((item, index) => {
        params[names[index]!] = item;
        paramAt[names[index]!] = item.at;
      });
    } else {
      if (names.length) fail('shortFormCount', { action: spec.name, count: names.length }, where);
      else fail('namedOnly', { action: spec.name, parameters: spec.parameters.map((p) => p.name).join(', ') }, where);
    }
    return { params, paramAt };
  }
}

function compatible(expected: ValueType, actual: ValueType): boolean {
  if (expected === 'any' || actual === 'any') return actual !== 'none';
  if (expected === 'list') return actual === 'list';
  return expected === actual;
}
