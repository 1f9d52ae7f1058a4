/**
 * Stage 3: the checked tree -> a compact JSON program stored with the script. Parameters become positional (the
 * catalogue's order), so running needs no name lookups; `loadProgram` validates a stored program before use.
 */
import { ACTIONS, findAction } from './actions';
import type { CompiledExpr, CompiledProgram, Expr, ParsedScript } from './types';

export function compileChecked(script: ParsedScript): CompiledProgram {
  return { format: 'eid-script/1', onError: script.onError, actions: script.actions.map(compileExpr) };
}

function compileExpr(expr: Expr): CompiledExpr {
  switch (expr.kind) {
    case 'const':
      return [0, expr.value];
    case 'var':
      return [1, expr.name];
    case 'list':
      return [2, expr.items.map(compileExpr)];
    case 'action': {
      const spec = findAction(expr.name)!;
      return [3, spec.name, spec.parameters.map((param) => (expr.params[param.name] ? compileExpr(expr.params[param.name]!) : null)), expr.at.line, expr.at.column];
    }
  }
}

const KNOWN = new Set(ACTIONS.map((action) => action.name));

/** Accepts only a well-formed program (stored data is input too); throws on anything else. */
export function loadProgram(value: unknown): CompiledProgram {
  const program = value as CompiledProgram;
  if (!program || program.format !== 'eid-script/1' || !Array.isArray(program.actions) || (program.onError !== 'deny' && program.onError !== 'continue')) {
    throw new Error('not a compiled sign-in script');
  }
  const visit = (expr: unknown, depth: number): void => {
    if (depth > 200 || !Array.isArray(expr)) throw new Error('malformed program');
    const [tag, a, b] = expr as [number, unknown, unknown];
    if (tag === 0) {
      if (a !== null && !['string', 'number', 'boolean'].includes(typeof a)) throw new Error('malformed constant');
    } else if (tag === 1) {
      if (typeof a !== 'string') throw new Error('malformed variable');
    } else if (tag === 2) {
      if (!Array.isArray(a)) throw new Error('malformed list');
      a.forEach((item) => visit(item, depth + 1));
    } else if (tag === 3) {
      if (typeof a !== 'string' || !KNOWN.has(a) || !Array.isArray(b) || b.length !== findAction(a)!.parameters.length) throw new Error(`malformed action ${String(a)}`);
      b.forEach((param) => param === null || visit(param, depth + 1));
    } else throw new Error('malformed program');
  };
  program.actions.forEach((action) => visit(action, 0));
  return program;
}
