/**
 * The sign-in script engine: parse -> check -> compile -> run. Knows nothing of Workers, D1 or HTTP; the host
 * (worker/scripts) supplies the context and applies the returned effects. See README.md for the language.
 */
import { checkParsed } from './check';
import { compileChecked } from './compile';
import { parseScript } from './parse';
import { DEFAULT_BUDGETS } from './budgets';
import type { CompileOptions, CompiledProgram, ScriptError } from './types';

export { ACTIONS, CONTEXT_VARIABLES, findAction, type ActionSpec, type ParameterSpec, type ValueType } from './actions';
export { loadProgram } from './compile';
export { CHARS_PER_WORK_UNIT, DEFAULT_BUDGETS } from './budgets';
export { runProgram, type RunOptions } from './run';
export type { Budgets, CompileOptions, CompiledProgram, Effect, RunContext, RunResult, ScriptError, TraceStep, UserFieldInfo } from './types';

export type CompileResult = { ok: true; program: CompiledProgram; warnings: ScriptError[] } | { ok: false; errors: ScriptError[]; warnings: ScriptError[] };

/** Everything the designer's live markers need: errors and warnings with their line:column. */
export function checkScript(source: string, options: CompileOptions = {}): { errors: ScriptError[]; warnings: ScriptError[] } {
  const result = compileScript(source, options);
  return { errors: result.ok ? [] : result.errors, warnings: result.warnings };
}

export function compileScript(source: string, options: CompileOptions = {}): CompileResult {
  const budgets = { ...DEFAULT_BUDGETS, ...options.budgets };
  const parsed = parseScript(source, budgets);
  if (!parsed.ok) return { ok: false, errors: parsed.errors, warnings: [] };
  const checked = checkParsed(parsed.script, options);
  if (checked.errors.length) return { ok: false, errors: sortByLocation(checked.errors), warnings: checked.warnings };
  return { ok: true, program: compileChecked(checked.script), warnings: checked.warnings };
}

function sortByLocation(errors: ScriptError[]): ScriptError[] {
  return [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
}
