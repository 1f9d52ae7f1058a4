/**
 * The sign-in script engine: parse -> check -> compile -> run. Knows nothing of Workers, D1 or HTTP; the host
 * (worker/scripts) supplies the context and applies the returned effects. See README.md for the language.
 */
import { checkParsed } from './check';
import { compileChecked } from './compile';
import { parseScript } from './parse';
import { scriptProblem } from './problems';
import { DEFAULT_BUDGETS, MAX_REPORTED_ERRORS } from './budgets';
import type { CompileOptions, CompiledProgram, ScriptError } from './types';

export { ACTIONS, CONTEXT_VARIABLES, findAction, type ActionSpec, type ContextVariableSpec, type DocLanguage, type Localised, type ParameterSpec, type ValueType } from './actions';
export { TYPE_NAMES } from './docs';
export { describeScriptProblem, problemReport, SCRIPT_PROBLEM_TEXTS, type ProblemParams, type ProblemReport, type ScriptProblem } from './problems';
export { isCurrentFormat, loadProgram } from './compile';
export { CHARS_PER_WORK_UNIT, DEFAULT_BUDGETS, MAX_REPORTED_ERRORS } from './budgets';
export { runProgram, type RunOptions } from './run';
export { COMPILED_FORMAT_VERSION } from './types';
export type { Budgets, CompileOptions, CompiledExpr, CompiledProgram, Effect, RunContext, RunResult, ScriptError, TraceStep, UserFieldInfo } from './types';

export type CompileResult = { ok: true; program: CompiledProgram; warnings: ScriptError[] } | { ok: false; errors: ScriptError[]; warnings: ScriptError[] };

/** Everything the designer's live markers need: errors and warnings with their line:column. */
export function checkScript(source: string, options: CompileOptions = {}): { errors: ScriptError[]; warnings: ScriptError[] } {
  const result = compileScript(source, options);
  return { errors: result.ok ? [] : result.errors, warnings: result.warnings };
}

export function compileScript(source: string, options: CompileOptions = {}): CompileResult {
  const budgets = { ...DEFAULT_BUDGETS, ...options.budgets };
  const parsed = parseScript(source, budgets);
  if (!parsed.ok) return { ok: false, errors: capped(parsed.errors), warnings: [] };
  const checked = checkParsed(parsed.script, options);
  if (checked.errors.length) return { ok: false, errors: capped(sortByLocation(checked.errors)), warnings: capped(checked.warnings) };
  return { ok: true, program: compileChecked(checked.script), warnings: capped(checked.warnings) };
}

function sortByLocation(errors: ScriptError[]): ScriptError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The first MAX_REPORTED_ERRORS, then one TOO_MANY_ERRORS where the next one was. */
function capped(errors: ScriptError[]): ScriptError[] {
  if (errors.length <= MAX_REPORTED_ERRORS) return errors;
  const next = errors[MAX_REPORTED_ERRORS]!;
  const more = errors.length - MAX_REPORTED_ERRORS;
  return [...errors.slice(0, MAX_REPORTED_ERRORS), scriptProblem('tooManyErrors', { more }, next)];
}
