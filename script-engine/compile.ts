/**
 * Stage 3: the checked tree -> a JSON program stored with the script: tagged nodes, parameters by their declared
 * names. `loadProgram` validates a stored program before use; `isCurrentFormat` tells the host when a stored
 * program was written by an older engine and must be compiled again from its source.
 */
import { findAction } from './actions';
import { COMPILED_FORMAT, COMPILED_FORMAT_VERSION, type CompiledExpr, type CompiledProgram, type Expr, type ParsedScript } from './types';

export function compileChecked(script: ParsedScript): CompiledProgram {
  return { format: COMPILED_FORMAT, formatVersion: COMPILED_FORMAT_VERSION, onError: script.onError, actions: script.actions.map(compileExpr) };
}

function compileExpr(expr: Expr): CompiledExpr {
  switch (expr.kind) {
    case 'const':
      return { tag: 'const', value: expr.value };
    case 'var':
      return { tag: 'var', name: expr.name };
    case 'list':
      return { tag: 'list', items: expr.items.map(compileExpr) };
    case 'action': {
      const spec = findAction(expr.name)!;
      const params: Record<string, CompiledExpr> = {};
      for (const param of spec.parameters) {
        const given = expr.params[param.name];
        if (given) params[param.name] = compileExpr(given);
      }
      return { tag: 'action', action: spec.name, params, line: expr.at.line, column: expr.at.column };
    }
  }
}

/** A stored program this engine runs as it is; anything else (an older format) is compiled again from its source. */
export function isCurrentFormat(value: unknown): boolean {
  const program = value as Partial<CompiledProgram> | null;
  return typeof program === 'object' && program !== null && program.format === COMPILED_FORMAT && program.formatVersion === COMPILED_FORMAT_VERSION;
}

/** Accepts only a well-formed program of the current format (stored data is input too); throws on anything else. */
export function loadProgram(value: unknown): CompiledProgram {
  const program = value as CompiledProgram;
  if (!isCurrentFormat(program) || !Array.isArray(program.actions) || (program.onError !== 'deny' && program.onError !== 'continue')) {
    throw new Error('not a compiled sign-in script of this version');
  }
  const visit = (expr: unknown, depth: number): void => {
    if (depth > 200 || typeof expr !== 'object' || expr === null) throw new Error('malformed program');
    const node = expr as Record<string, unknown>;
    switch (node.tag) {
      case 'const':
        if (node.value !== null && !['string', 'number', 'boolean'].includes(typeof node.value)) throw new Error('malformed constant');
        return;
      case 'var':
        if (typeof node.name !== 'string') throw new Error('malformed variable');
        return;
      case 'list':
        if (!Array.isArray(node.items)) throw new Error('malformed list');
        node.items.forEach((item) => visit(item, depth + 1));
        return;
      case 'action': {
        const spec = typeof node.action === 'string' ? findAction(node.action) : undefined;
        const params = node.params as Record<string, unknown> | null;
        if (!spec || spec.name !== node.action || typeof params !== 'object' || params === null || typeof node.line !== 'number' || typeof node.column !== 'number') {
          throw new Error(`malformed action ${String(node.action)}`);
        }
        for (const name of Object.keys(params)) if (!spec.parameters.some((param) => param.name === name)) throw new Error(`${spec.name} has no parameter ${name}`);
        for (const param of spec.parameters) {
          if (params[param.name] !== undefined) visit(params[param.name], depth + 1);
          else if (param.required) throw new Error(`${spec.name} lacks ${param.name}`);
        }
        return;
      }
      default:
        throw new Error('malformed program');
    }
  };
  program.actions.forEach((action) => visit(action, 0));
  return program;
}
