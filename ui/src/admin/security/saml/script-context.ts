/**
 * Where the cursor is in a sign-in script, for the designer's completion and hover: where an action goes, inside
 * which action's parameters, or at the value of which parameter. Read from the lines above the cursor by
 * indentation (and the flow `{ … }` / `[ … ]` of the cursor's own line), not by parsing the document: while the
 * admin types, the text is rarely valid YAML.
 *
 * The outline (the tree of actions with the line:column the engine reports in its trace) is read with the YAML
 * parser, the same one the engine uses, so its positions are the engine's.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import type { InferResponseType } from 'hono/client';
import type { adminApi } from '../../../lib/api-client';

/** What the cursor's reading needs of a catalogue action (GET /sign-in-script/actions). */
export type CatalogueAction = Pick<InferResponseType<(typeof adminApi)['sign-in-script']['actions']['$get'], 200>['items'][number], 'name' | 'aliases' | 'parameters' | 'positional'>;

/** What is written at the cursor. `prefix` is what was typed of the current word (for filtering and replacing). */
export type CursorContext =
  | { kind: 'topLevelKey' }
  /** An action name goes here. `flow`: inside `{ … }` on one line; `listItem`: the line still needs its `- `. */
  | { kind: 'action'; flow: boolean; listItem: boolean; nested: boolean }
  | { kind: 'parameter'; action: string; written: string[]; flow: boolean }
  | {
      kind: 'value';
      action: string;
      parameter: string;
      flow: boolean;
      siblings: Record<string, string>;
    }
  | { kind: 'variable' }
  | { kind: 'topLevelValue'; key: string }
  | { kind: 'none' };

type Segment = { kind: 'key'; name: string; value: string } | { kind: 'item' };

interface Opener {
  column: number;
  segment: Segment;
  /** A key with nothing after its colon (its value follows on the next lines), or a list item. */
  open: boolean;
  line: number;
}

const KEY = /^([A-Za-z_][\w.-]*|"[^"]*"|'[^']*')\s*:(?=\s|$)/;

/** The openers a line starts: `  - SetValue:` is a list item at column 2 and the open key SetValue at column 4. */
function openersOf(text: string, line: number): Opener[] {
  const openers: Opener[] = [];
  let column = text.length - text.trimStart().length;
  let rest = text.slice(column);
  if (rest.startsWith('#') || rest === '') return openers;
  for (;;) {
    if (rest === '-' || rest.startsWith('- ')) {
      openers.push({ column, segment: { kind: 'item' }, open: true, line });
      const after = rest.slice(1);
      const skipped = after.length - after.trimStart().length;
      column += 1 + skipped;
      rest = after.trimStart();
      continue;
    }
    const key = KEY.exec(rest);
    if (key) {
      const value = rest
        .slice(key[0].length)
        .replace(/\s+#.*$/, '')
        .trim();
      openers.push({
        column,
        segment: { kind: 'key', name: unquote(key[1]!), value },
        open: value === '' || value === '|' || value === '>',
        line,
      });
    }
    return openers;
  }
}

function unquote(name: string): string {
  return /^["']/.test(name) ? name.slice(1, -1) : name;
}

/** The block path above a line: from the root to the structure a line starting at `column` belongs to. */
function blockPath(lines: string[], lineIndex: number, column: number, leadingItem: boolean): Opener[] {
  const path: Opener[] = [];
  let limit = column;
  let limitIsItem = leadingItem;
  for (let index = lineIndex; index >= 0; index--) {
    const openers = index === lineIndex ? [] : openersOf(lines[index]!, index);
    for (let at = openers.length - 1; at >= 0; at--) {
      const opener = openers[at]!;
      // A list may sit at its key's own indentation (`actions:` / `- Comment: x`); otherwise a parent is left of us.
      const parent = opener.column < limit || (limitIsItem && opener.segment.kind === 'key' && opener.column === limit);
      if (!parent) continue;
      if (!opener.open) return []; // a value already written on that line: we are not inside it (invalid YAML)
      path.unshift(opener);
      limit = opener.column;
      limitIsItem = opener.segment.kind === 'item';
      // The openers to its left on the same line are its parents in turn.
      for (let left = at - 1; left >= 0; left--) {
        path.unshift(openers[left]!);
        limit = openers[left]!.column;
        limitIsItem = openers[left]!.segment.kind === 'item';
      }
      break;
    }
    if (limit === 0 && !limitIsItem) break;
  }
  return path;
}

/** The path inside a one-line flow (`{ key: [ a, { b: … } ] }`) up to the cursor, and the cursor's place there. */
function flowPath(text: string): {
  segments: Segment[];
  at: 'key' | 'value' | 'item' | 'closed';
} {
  const stack: Array<{ kind: 'map' | 'seq'; key: string | null }> = [];
  let token = '';
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      continue;
    }
    const top = stack.at(-1);
    if (char === '"' || char === "'") quote = char;
    else if (char === '{' || char === '[') stack.push({ kind: char === '{' ? 'map' : 'seq', key: null });
    else if (char === '}' || char === ']') stack.pop();
    else if (char === ':' && top?.kind === 'map' && top.key === null) top.key = token.trim();
    else if (char === ',' && top?.kind === 'map') top.key = null;
    token = /[{}[\],:]/.test(char) ? '' : token + char;
  }
  const segments: Segment[] = stack.flatMap((frame): Segment[] =>
    frame.kind === 'seq' ? [{ kind: 'item' }] : frame.key === null ? [] : [{ kind: 'key', name: frame.key, value: '' }],
  );
  const top = stack.at(-1);
  return {
    segments,
    at: !top ? 'closed' : top.kind === 'seq' ? 'item' : top.key === null ? 'key' : 'value',
  };
}

type State =
  | { kind: 'root' }
  | { kind: 'actions' }
  | { kind: 'slot' }
  | { kind: 'params'; action: CatalogueAction }
  | { kind: 'value'; action: CatalogueAction; parameter: string }
  | { kind: 'var' }
  | { kind: 'none' };

function step(state: State, segment: Segment, find: (name: string) => CatalogueAction | undefined): State {
  switch (state.kind) {
    case 'root':
      return segment.kind === 'key' && segment.name === 'actions' ? { kind: 'actions' } : { kind: 'none' };
    case 'actions':
      return segment.kind === 'item' ? { kind: 'slot' } : { kind: 'none' };
    case 'slot': {
      const action = segment.kind === 'key' ? find(segment.name) : undefined;
      return action ? { kind: 'params', action } : { kind: 'none' };
    }
    case 'params': {
      if (segment.kind === 'item')
        return {
          kind: 'value',
          action: state.action,
          parameter: state.action.positional?.[0]?.replace('*', '') ?? '',
        };
      const parameter = state.action.parameters.find((p) => p.name === segment.name);
      if (!parameter) return { kind: 'none' };
      return parameter.type === 'actions' ? { kind: 'actions' } : { kind: 'value', action: state.action, parameter: parameter.name };
    }
    case 'value': {
      if (segment.kind === 'item') return state;
      if (segment.name === 'var') return { kind: 'var' };
      const action = find(segment.name);
      return action ? { kind: 'params', action } : { kind: 'none' };
    }
    default:
      return { kind: 'none' };
  }
}

/** The parameters already written in the action mapping around a line (block form), by name -> inline value. */
function siblingsOf(lines: string[], parent: Opener | undefined, lineIndex: number): Record<string, string> {
  const found: Record<string, string> = {};
  if (!parent) return found;
  let childColumn: number | null = null;
  for (let index = parent.line + 1; index < lines.length; index++) {
    if (index === lineIndex) continue;
    const text = lines[index]!;
    if (!text.trim() || text.trimStart().startsWith('#')) continue;
    const column = text.length - text.trimStart().length;
    if (column <= parent.column) break;
    childColumn ??= column;
    if (column !== childColumn) continue;
    const opener = openersOf(text, index)[0];
    if (opener?.segment.kind === 'key') found[opener.segment.name] = opener.segment.value;
  }
  return found;
}

/** The context at a position (0-based line, column = characters before the cursor on that line). */
export function contextAt(text: string, lineIndex: number, column: number, find: (name: string) => CatalogueAction | undefined): CursorContext {
  const lines = text.split(/\r?\n/);
  const line = lines[lineIndex] ?? '';
  const before = line.slice(0, column);
  if (/(^|\s)#/.test(before.replace(/"[^"]*"|'[^']*'/g, ''))) return { kind: 'none' };
  const own = openersOf(before, lineIndex);
  const indentation = before.length - before.trimStart().length;
  const leadingItem = own[0]?.segment.kind === 'item';
  const above = blockPath(lines, lineIndex, own[0]?.column ?? indentation, leadingItem);

  // Where on this line the cursor is: typing a key, or after `key:` (inline value, possibly a flow).
  const lastKey = [...own].reverse().find((o) => o.segment.kind === 'key');
  const keyDone = lastKey !== undefined && before.slice(lastKey.column).match(KEY) !== null;
  const segments: Segment[] = above.map((o) => o.segment);
  for (const opener of own) {
    if (opener.segment.kind === 'item' || (keyDone && opener === lastKey)) segments.push(opener.segment);
  }
  let at: 'key' | 'value' | 'item' = keyDone ? 'value' : 'key';
  let flow = false;
  if (keyDone && lastKey) {
    const inline = before.slice(lastKey.column).replace(KEY, '').trimStart();
    if (/^[{[]/.test(inline)) {
      const parsed = flowPath(inline);
      flow = true;
      if (parsed.at === 'closed') return { kind: 'none' };
      segments.push(...parsed.segments);
      at = parsed.at;
    } else if (/[{[]/.test(inline)) return { kind: 'none' };
  }
  let state: State = { kind: 'root' };
  for (const segment of segments) state = step(state, segment, find);
  // An item of a flow list: an action where actions go (`then: [ … ]`), else a value.
  if (at === 'item') at = state.kind === 'slot' ? 'key' : 'value';

  const listItem = !leadingItem && !flow;
  if (at === 'key') {
    switch (state.kind) {
      case 'root':
        return segments.length === 0 ? { kind: 'topLevelKey' } : { kind: 'none' };
      case 'actions':
        return { kind: 'action', flow, listItem, nested: false };
      case 'slot':
        return { kind: 'action', flow, listItem: false, nested: false };
      case 'params': {
        const parent = [...above].reverse().find((o) => o.segment.kind === 'key');
        const action = state.action;
        const written = Object.keys(flow ? flowSiblings(before) : siblingsOf(lines, parent, lineIndex)).filter((name) => action.parameters.some((p) => p.name === name));
        return { kind: 'parameter', action: action.name, written, flow };
      }
      case 'value':
        return { kind: 'action', flow, listItem: false, nested: true };
      default:
        return { kind: 'none' };
    }
  }
  switch (state.kind) {
    case 'value': {
      const parent = [...above].reverse().find((o) => o.segment.kind === 'key');
      const siblings = flow ? flowSiblings(before) : siblingsOf(lines, parent, lineIndex);
      return {
        kind: 'value',
        action: state.action.name,
        parameter: state.parameter,
        flow,
        siblings,
      };
    }
    case 'var':
      return { kind: 'variable' };
    case 'none': {
      const top = segments.length === 1 && segments[0]!.kind === 'key' ? segments[0]!.name : null;
      return top === 'version' || top === 'onError' ? { kind: 'topLevelValue', key: top } : { kind: 'none' };
    }
    default:
      return { kind: 'none' };
  }
}

/** `SetValue: { object: { var: Context.User }, field: ` -> { object: '{ var: Context.User }' } (roughly). */
function flowSiblings(before: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of before.matchAll(/([A-Za-z_]\w*)\s*:\s*(\{[^{}]*\}|[^,{}[\]]*)/g)) found[match[1]!] = match[2]!.trim();
  return found;
}

/** Whether a parameter value (as written) is the variable Context.User (or not written yet). */
export function isContextUser(written: string | undefined): boolean {
  return written === undefined || /^\{\s*var\s*:\s*Context\.User\s*\}$/.test(written.trim());
}

/** The script's own variables: the names of Let and the `as` of ForEach, wherever they are written. */
export function scriptVariables(text: string, find: (name: string) => CatalogueAction | undefined): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/\bLet\s*:\s*\{[^}]*?\bname\s*:\s*([A-Za-z_][\w.]*)/g)) names.add(match[1]!);
  for (const match of text.matchAll(/\bForEach\s*:\s*\{[^}]*?\bas\s*:\s*([A-Za-z_][\w.]*)/g)) names.add(match[1]!);
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const match = /^(\s*(?:-\s+)?)(name|as)\s*:\s*([A-Za-z_][\w.]*)\s*$/.exec(line);
    if (!match) return;
    const context = contextAt(text, index, match[1]!.length, find);
    if (context.kind === 'parameter' && ((context.action === 'Let' && match[2] === 'name') || (context.action === 'ForEach' && match[2] === 'as'))) names.add(match[3]!);
  });
  return [...names].filter((name) => !name.startsWith('Context.')).sort();
}

// ---------------------------------------------------------------- outline

export interface OutlineNode {
  action: string;
  /** The parameter of the parent action this one is the value of (`if`, `then`, `value`), if any. */
  via: string | null;
  /** Where the engine reports this action (the start of its mapping), 1-based, as in its trace. */
  line: number;
  column: number;
  children: OutlineNode[];
}

const ACTION_NAME = /^[A-Z][A-Za-z]*$/;

/** The tree of actions in a script; what cannot be read (a syntax error further down) is left out. */
export function outlineOf(source: string): OutlineNode[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false });
  const position = (node: Node) => {
    const { line, col } = lineCounter.linePos(node.range?.[0] ?? 0);
    return { line, column: col };
  };
  const root = document.contents;
  if (!isMap(root)) return [];
  const actions = (root.items as Pair<Node, Node>[]).find((pair) => isScalar(pair.key) && pair.key.value === 'actions')?.value;
  return isSeq(actions) ? actions.items.flatMap((item) => actionsIn(item as Node, null)) : [];

  function actionsIn(node: Node | null, via: string | null): OutlineNode[] {
    if (!node) return [];
    if (isSeq(node)) return node.items.flatMap((item) => actionsIn(item as Node, via));
    if (!isMap(node)) return [];
    const pairs = node.items as Pair<Node, Node>[];
    const first = pairs[0];
    const name = first && isScalar(first.key) ? String(first.key.value) : '';
    if (pairs.length !== 1 || !ACTION_NAME.test(name)) return [];
    const body = first!.value;
    const children =
      isMap(body) && !(body.items.length === 1 && isScalar(body.items[0]!.key) && ACTION_NAME.test(String(body.items[0]!.key.value)))
        ? (body.items as Pair<Node, Node>[]).flatMap((pair) => actionsIn(pair.value, isScalar(pair.key) ? String(pair.key.value) : null))
        : actionsIn(body, null);
    return [{ action: name, via, ...position(node), children }];
  }
}
