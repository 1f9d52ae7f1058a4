/**
 * Stage 1: YAML text -> the tree of actions and values, every node with its line:column. Only the shape is
 * checked here (what is an action, a variable, a constant, a list); meaning is the checker's job.
 *
 * A value is written as a constant (`"admin"`, `3`, `true`), a variable (`{ var: Context.User }`), a list, or a
 * nested action (`{ GetEntry: { key: extRole, index: 0 } }`).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLError } from 'yaml';
import { FORBIDDEN_NAMES } from './actions';
import { scriptProblem, type ProblemParams, type ScriptProblem, type YamlSyntaxKind } from './problems';
import type { Budgets, Expr, Location, ParsedScript, ScriptError } from './types';

export type ParseResult = { ok: true; script: ParsedScript } | { ok: false; errors: ScriptError[] };

const TOP_LEVEL_KEYS = new Set(['version', 'onError', 'actions']);
const ACTION_NAME = /^[A-Z][A-Za-z]*$/;

export function parseScript(source: string, budgets: Budgets): ParseResult {
  if (source.length > budgets.maxSourceChars) {
    return { ok: false, errors: [scriptProblem('sourceTooLarge', { max: budgets.maxSourceChars }, { line: 1, column: 1 })] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined, fallback: Location = { line: 1, column: 1 }): Location => {
    const offset = node?.range?.[0];
    if (offset === undefined) return fallback;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const errors: ScriptError[] = [];
  const fail = (problem: ScriptProblem, params: ProblemParams, where: Location) => errors.push(scriptProblem(problem, params, where));

  for (const error of document.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    if (error.code === 'DUPLICATE_KEY') fail('duplicateKey', {}, { line, column: col });
    else fail('yamlSyntax', { kind: yamlSyntaxKind(error), detail: error.message.split('\n')[0]! }, { line, column: col });
  }
  if (errors.length) return { ok: false, errors };
  // No anchors/aliases: `*ref` expansion is how YAML bombs multiply a small text into a huge tree.
  if (document.contents && hasAlias(document.contents)) {
    fail('yamlAliases', {}, at(document.contents));
    return { ok: false, errors };
  }

  const root = document.contents;
  if (!isMap(root)) {
    fail('notAScript', {}, at(root));
    return { ok: false, errors };
  }
  let version = 0;
  let onError: 'deny' | 'continue' = 'deny';
  let actions: Expr[] = [];
  let sawActions = false;
  for (const pair of root.items as Pair<Node, Node>[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const where = at(pair.key);
    if (!TOP_LEVEL_KEYS.has(key)) {
      fail('unknownTopLevelKey', { key }, where);
      continue;
    }
    if (key === 'version') {
      if (!isScalar(pair.value) || pair.value.value !== 1) fail('unsupportedVersion', {}, at(pair.value, where));
      else version = 1;
    } else if (key === 'onError') {
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      if (value !== 'deny' && value !== 'continue') fail('onErrorValue', {}, at(pair.value, where));
      else onError = value;
    } else {
      sawActions = true;
      if (!isSeq(pair.value)) fail('actionsNotAList', {}, at(pair.value, where));
      else actions = pair.value.items.map((item) => toExpr(item as Node, 1));
    }
  }
  if (version === 0 && !errors.some((e) => e.problem === 'unsupportedVersion')) fail('missingVersion', {}, at(root));
  if (!sawActions) fail('missingActions', {}, at(root));
  if (errors.length) return { ok: false, errors };
  return { ok: true, script: { version, onError, actions } };

  function toExpr(node: Node | null, depth: number): Expr {
    const where = at(node);
    if (depth > budgets.maxDepth) {
      fail('tooDeep', { max: budgets.maxDepth }, where);
      return { kind: 'const', value: null, at: where };
    }
    if (node === null || node === undefined) return { kind: 'const', value: null, at: where };
    if (isScalar(node)) {
      const value = node.value;
      if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
        return { kind: 'const', value, at: where };
      }
      fail('notAConstant', {}, where);
      return { kind: 'const', value: null, at: where };
    }
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => toExpr(item as Node, depth + 1)), at: where };
    if (isMap(node)) {
      const pairs = node.items as Pair<Node, Node>[];
      const first = pairs[0];
      const key = first && isScalar(first.key) ? String(first.key.value) : '';
      if (pairs.length === 1 && key === 'var') {
        const name = isScalar(first!.value) ? String(first!.value.value) : '';
        if (!name) fail('variableNeedsName', {}, at(first!.value, where));
        if (FORBIDDEN_NAMES.has(name)) fail('forbiddenName', { name }, at(first!.value, where));
        return { kind: 'var', name, at: where };
      }
      if (pairs.length === 1 && ACTION_NAME.test(key)) return toAction(key, first!.value, where, depth);
      fail('notAValue', {}, where);
      return { kind: 'const', value: null, at: where };
    }
    fail('unknownValue', {}, where);
    return { kind: 'const', value: null, at: where };
  }

  function toAction(name: string, body: Node | null, where: Location, depth: number): Expr {
    const params: Record<string, Expr> = Object.create(null);
    const paramAt: Record<string, Location> = Object.create(null);
    const pairs = isMap(body) ? (body.items as Pair<Node, Node>[]) : [];
    // `Not: { IsEmpty: ... }`: a mapping whose only key is an action name is a nested action (the short form);
    // parameter names always start in lower case, action names in upper case.
    const nestedAction = pairs.length === 1 && isScalar(pairs[0]!.key) && ACTION_NAME.test(String(pairs[0]!.key.value));
    if (isMap(body) && !nestedAction) {
      for (const pair of body.items as Pair<Node, Node>[]) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        const keyAt = at(pair.key, where);
        if (FORBIDDEN_NAMES.has(key)) {
          fail('forbiddenParameterName', { name: key }, keyAt);
          continue;
        }
        params[key] = toExpr(pair.value, depth + 1);
        paramAt[key] = keyAt;
      }
    } else if (body !== null && body !== undefined) {
      // Positional short form (`EqualTo: [a, b]`, `Comment: text`): the checker maps it onto parameter names.
      params['#positional'] = toExpr(body, depth + 1);
      paramAt['#positional'] = at(body, where);
    }
    return { kind: 'action', name, params, at: where, paramAt };
  }
}

function hasAlias(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (isAlias(node)) return true;
  if (isMap(node) || isSeq(node)) return (node.items as unknown[]).some((item) => (isMap(node) ? hasAlias((item as Pair).key) || hasAlias((item as Pair).value) : hasAlias(item)));
  return false;
}

/** The kind of a YAML syntax error, by the yaml library's code: its messages are English, the kind is said in German. */
function yamlSyntaxKind(error: YAMLError): YamlSyntaxKind {
  // First: "Implicit map keys need to be followed by map values" comes as MISSING_CHAR too.
  if (error.code === 'MULTILINE_IMPLICIT_KEY' || error.code === 'BLOCK_AS_IMPLICIT_KEY' || /implicit (map )?keys/i.test(error.message)) return 'key';
  if (error.code === 'MISSING_CHAR' || (error.code === 'BAD_INDENT' && /end with a/.test(error.message))) return 'unclosed';
  if (error.code === 'BAD_INDENT' || error.code === 'TAB_AS_INDENT') return 'indent';
  return 'other';
}
