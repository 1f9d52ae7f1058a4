/**
 * Every action, declared once: its name, typed parameters, result type, documentation in English and German, and
 * what it does (`run`), the way cel-es declares functions. The checker, the compiler, the interpreter, the Script
 * Designer's completion and hover (GET /api/admin/sign-in-script/actions) and README.md all read this table.
 */
import { textWork } from './budgets';
import { ClaimsValue, truthy, type ActionRuntime, type Expression, type Value } from './runtime';
import type { Effect } from './types';

/** Static types the checker reasons with. `any` accepts everything; `actions` is a list of actions to run. */
export type ValueType = 'any' | 'string' | 'number' | 'boolean' | 'list' | 'claims' | 'user' | 'actions' | 'none';

export type DocLanguage = 'en' | 'de';
export type Localised = Readonly<Record<DocLanguage, string>>;

interface ParameterOptions {
  optional?: true;
  /** Must be written as a constant (a name, not a computed value): variable names, for instance. */
  constant?: true;
  /** `run` receives the unevaluated expression (blocks of actions, And/Or's conditions that may short-circuit). */
  lazy?: true;
  /** Left out of a dry run's trace (the claims, the user, names and switches say nothing about the run). */
  untraced?: true;
}

interface ParameterDeclaration extends ParameterOptions {
  type: ValueType;
  doc: Localised;
}

type ArgumentsOf<P> = {
  [K in keyof P]: P[K] extends { lazy: true } ? Expression | undefined : P[K] extends { optional: true } ? Value | undefined : Value;
};

interface ActionDeclaration<P extends Record<string, ParameterDeclaration>> {
  name: string;
  aliases?: string[];
  /** "data": reads and computes; "logic": conditions; "flow": controls what runs; "effect": changes the user or memberships. */
  category: 'data' | 'logic' | 'flow' | 'effect';
  result: ValueType;
  doc: Localised;
  /** In the order they are evaluated, documented and completed. */
  params: P;
  /** Positional short form: `EqualTo: [a, b]` fills these parameters in order; `name*` takes the whole list. */
  positional?: string[];
  /** Records its trace step itself (before the actions it runs), so the trace reads in the order things ran. */
  tracesItself?: true;
  /** Runs the action on its evaluated parameters (lazy ones unevaluated); `depth` is the action's nesting depth. */
  run(args: ArgumentsOf<P>, runtime: ActionRuntime, depth: number): Value;
}

export interface ParameterSpec {
  name: string;
  type: ValueType;
  required: boolean;
  constant: boolean;
  lazy: boolean;
  traced: boolean;
  doc: Localised;
}

export interface ActionSpec {
  name: string;
  aliases: readonly string[];
  category: ActionDeclaration<Record<string, ParameterDeclaration>>['category'];
  result: ValueType;
  doc: Localised;
  parameters: readonly ParameterSpec[];
  positional: readonly string[];
  tracesItself: boolean;
  run(args: Record<string, Value | Expression | undefined>, runtime: ActionRuntime, depth: number): Value;
}

function param<const O extends ParameterOptions = Record<never, never>>(type: ValueType, en: string, de: string, options?: O): ParameterDeclaration & O {
  return { type, doc: { en, de }, ...(options as O) };
}

function declare<P extends Record<string, ParameterDeclaration>>(declaration: ActionDeclaration<P>): ActionSpec {
  return {
    name: declaration.name,
    aliases: declaration.aliases ?? [],
    category: declaration.category,
    result: declaration.result,
    doc: declaration.doc,
    parameters: Object.entries(declaration.params).map(([name, p]) => {
      // Compiled parameters are read by name from parsed JSON: a name the object prototype has would read it.
      if (name in Object.prototype) throw new Error(`parameter name ${name} is reserved`);
      return { name, type: p.type, required: !p.optional, constant: Boolean(p.constant), lazy: Boolean(p.lazy), traced: !p.untraced && !p.lazy, doc: p.doc };
    }),
    positional: declaration.positional ?? [],
    tracesItself: Boolean(declaration.tracesItself),
    run: declaration.run as ActionSpec['run'],
  };
}

const userObject = () =>
  param('user', 'The object, usually `{ var: Context.User }`.', 'Das Objekt, meist `{ var: Context.User }`.', { untraced: true });
const fieldName = () => param('string', "The field's system name.", 'Der Systemname des Felds.');
const ignoreCase = () =>
  param('boolean', 'Compare text without regard to case.', 'Text ohne Rücksicht auf Groß- und Kleinschreibung vergleichen.', { optional: true, untraced: true });
const userIdParam = () => param('string', 'The user, usually `{ var: Context.UserId }`.', 'Der Benutzer, meist `{ var: Context.UserId }`.');
const officeIdParam = (en: string, de: string) => param('string', en, de);

const equalTo = (negate: boolean) => ({ left, right, ignoreCase }: { left: Value; right: Value; ignoreCase: Value | undefined }, runtime: ActionRuntime) =>
  runtime.equals(left, right, truthy(ignoreCase)) !== negate;

function junction(all: boolean) {
  return ({ conditions }: { conditions: Expression | undefined }, runtime: ActionRuntime, depth: number): Value => {
    // Short-circuit: later conditions are not evaluated once the answer is known.
    for (const condition of runtime.itemsOf(conditions)) {
      // Constants are no steps: without this charge, `And: [true, true, ...]` would be free work.
      runtime.charge(1);
      if (truthy(runtime.evaluate(condition, depth + 1)) !== all) return !all;
    }
    return all;
  };
}

function textTest(mode: 'contains' | 'startsWith' | 'endsWith', needleName: string) {
  return (args: Record<string, Value | undefined>, runtime: ActionRuntime): Value =>
    runtime.matches(mode, args.value ?? null, runtime.text(args[needleName], needleName), truthy(args.ignoreCase));
}

function membership(kind: 'office' | 'group', adding: boolean) {
  const target = kind === 'office' ? 'officeId' : 'groupId';
  return (args: Record<string, Value | undefined>, runtime: ActionRuntime): Value => {
    const userId = runtime.text(args.userId, 'userId');
    const targetId = runtime.text(args[target], target);
    const effect: Effect =
      kind === 'office' ? { kind: adding ? 'addToOffice' : 'removeFromOffice', userId, officeId: targetId } : { kind: adding ? 'addToGroup' : 'removeFromGroup', userId, groupId: targetId };
    runtime.addEffect(effect);
    return null;
  };
}

export const ACTIONS: readonly ActionSpec[] = [
  declare({
    name: 'GetEntry',
    category: 'data',
    result: 'any',
    doc: {
      en: "A claim's values from the received claims: the list of all values, or one of them with `index` (0 is the first, -1 the last). A missing claim is an empty list; a missing index gives an empty string.",
      de: 'Die Werte eines Claims aus den empfangenen Claims: die Liste aller Werte, oder mit `index` einer davon (0 ist der erste, -1 der letzte). Ein fehlender Claim ist eine leere Liste; ein fehlender Index ergibt einen leeren Text.',
    },
    params: {
      claims: param('claims', 'The claims to read; usually `{ var: Context.Claims }` (the default).', 'Die zu lesenden Claims; meist `{ var: Context.Claims }` (die Vorgabe).', { optional: true, untraced: true }),
      key: param(
        'string',
        'The claim name: a full URI such as http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname, or a short attribute name.',
        'Der Name des Claims: eine vollständige URI wie http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname oder ein kurzer Attributname.',
      ),
      index: param('number', 'Which value to return instead of the list.', 'Welcher Wert statt der Liste zurückgegeben wird.', { optional: true }),
    },
    run({ claims, key, index }, runtime) {
      const source = claims === undefined ? runtime.claims : claims;
      if (!(source instanceof ClaimsValue)) return runtime.fail('getEntryNeedsClaims');
      const values = source.values.get(runtime.text(key, 'key')) ?? [];
      if (index === undefined || index === null) {
        runtime.charge(values.length);
        return [...values];
      }
      if (typeof index !== 'number' || !Number.isInteger(index)) return runtime.fail('indexNotWhole');
      return values[index < 0 ? values.length + index : index] ?? '';
    },
  }),
  declare({
    name: 'GetValue',
    category: 'data',
    result: 'any',
    doc: { en: 'Reads a field of an object by its system name, e.g. `lastName` of Context.User.', de: 'Liest ein Feld eines Objekts über seinen Systemnamen, z. B. `lastName` von Context.User.' },
    params: { object: userObject(), field: fieldName() },
    run({ object, field }, runtime) {
      const user = runtime.userOf(object);
      const name = runtime.fieldName(field);
      if (!user.fields.has(name)) runtime.fail('userFieldMissing', { name });
      return user.fields.get(name)!;
    },
  }),
  declare({
    name: 'SetValue',
    category: 'effect',
    result: 'none',
    doc: {
      en: 'Sets a field of an object by its system name. Nothing is stored until SaveInstance.',
      de: 'Setzt ein Feld eines Objekts über seinen Systemnamen. Gespeichert wird erst mit SaveInstance.',
    },
    params: { object: userObject(), field: fieldName(), value: param('any', 'The new value.', 'Der neue Wert.') },
    run({ object, field, value }, runtime) {
      const user = runtime.userOf(object);
      const name = runtime.fieldName(field);
      if (!user.fields.has(name)) runtime.fail('userFieldMissing', { name });
      user.fields.set(name, runtime.fieldValue(value, typeof user.fields.get(name) === 'boolean' ? 'boolean' : 'string'));
      runtime.unsavedFields.add(name);
      return null;
    },
  }),
  declare({
    name: 'SaveInstance',
    category: 'effect',
    result: 'none',
    doc: {
      en: 'Stores the changes made with SetValue. The changes are written together with the sign-in, after the whole script succeeded.',
      de: 'Speichert die mit SetValue gemachten Änderungen. Sie werden zusammen mit der Anmeldung geschrieben, nachdem das ganze Skript erfolgreich war.',
    },
    params: { object: param('user', 'The object to save, usually `{ var: Context.User }`.', 'Das zu speichernde Objekt, meist `{ var: Context.User }`.', { untraced: true }) },
    run({ object }, runtime) {
      const user = runtime.userOf(object);
      const changes: Record<string, string | boolean> = {};
      let changed = false;
      // Only fields set since the last save can differ from it. Each is charged for its text: two equal texts
      // held apart (set from different claims) are compared in full.
      runtime.charge(user.fields.size);
      for (const [field, value] of user.fields) {
        if (!runtime.unsavedFields.has(field)) continue;
        if (typeof value === 'string') runtime.charge(textWork(value.length));
        if (runtime.savedFields.get(field) !== value) {
          changes[field] = value;
          changed = true;
        }
      }
      runtime.unsavedFields.clear();
      if (changed) {
        runtime.addEffect({ kind: 'saveUser', changes });
        runtime.savedFields = new Map(user.fields);
      }
      return null;
    },
  }),
  declare({
    name: 'EqualTo',
    aliases: ['EqualsTo'],
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when both values are equal. When one side is a list (a claim with several values), true when any of its values equals the other side. Short form: `EqualTo: [a, b]`.',
      de: 'Wahr, wenn beide Werte gleich sind. Ist eine Seite eine Liste (ein Claim mit mehreren Werten), wahr, wenn einer ihrer Werte der anderen Seite gleicht. Kurzform: `EqualTo: [a, b]`.',
    },
    params: { left: param('any', 'The first value.', 'Der erste Wert.'), right: param('any', 'The second value.', 'Der zweite Wert.'), ignoreCase: ignoreCase() },
    positional: ['left', 'right'],
    run: equalTo(false),
  }),
  declare({
    name: 'NotEqualTo',
    category: 'logic',
    result: 'boolean',
    doc: { en: 'The opposite of EqualTo. Short form: `NotEqualTo: [a, b]`.', de: 'Das Gegenteil von EqualTo. Kurzform: `NotEqualTo: [a, b]`.' },
    params: { left: param('any', 'The first value.', 'Der erste Wert.'), right: param('any', 'The second value.', 'Der zweite Wert.'), ignoreCase: ignoreCase() },
    positional: ['left', 'right'],
    run: equalTo(true),
  }),
  declare({
    name: 'And',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when every condition is true; stops at the first false one. Short form: `And: [c1, c2, ...]`.',
      de: 'Wahr, wenn jede Bedingung wahr ist; hört bei der ersten falschen auf. Kurzform: `And: [c1, c2, ...]`.',
    },
    params: { conditions: param('list', 'The conditions.', 'Die Bedingungen.', { lazy: true }) },
    positional: ['conditions*'],
    run: junction(true),
  }),
  declare({
    name: 'Or',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when any condition is true; stops at the first true one. Short form: `Or: [c1, c2, ...]`.',
      de: 'Wahr, wenn eine Bedingung wahr ist; hört bei der ersten wahren auf. Kurzform: `Or: [c1, c2, ...]`.',
    },
    params: { conditions: param('list', 'The conditions.', 'Die Bedingungen.', { lazy: true }) },
    positional: ['conditions*'],
    run: junction(false),
  }),
  declare({
    name: 'Not',
    category: 'logic',
    result: 'boolean',
    doc: { en: 'True when the value is false, empty or missing.', de: 'Wahr, wenn der Wert falsch, leer oder nicht vorhanden ist.' },
    params: { value: param('any', 'The condition to negate.', 'Die zu verneinende Bedingung.') },
    positional: ['value'],
    run: ({ value }) => !truthy(value),
  }),
  declare({
    name: 'Contains',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when the text contains `search`, or when the list has an element equal to it.',
      de: 'Wahr, wenn der Text `search` enthält, oder wenn die Liste ein Element hat, das ihm gleicht.',
    },
    params: {
      value: param('any', 'Text or a list.', 'Text oder eine Liste.'),
      search: param('string', 'What to look for.', 'Wonach gesucht wird.'),
      ignoreCase: ignoreCase(),
    },
    run: textTest('contains', 'search'),
  }),
  declare({
    name: 'StartsWith',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when the text starts with `prefix` (for a list: when any value does).',
      de: 'Wahr, wenn der Text mit `prefix` beginnt (bei einer Liste: wenn einer der Werte es tut).',
    },
    params: {
      value: param('any', 'Text or a list.', 'Text oder eine Liste.'),
      prefix: param('string', 'The beginning to look for.', 'Der gesuchte Anfang.'),
      ignoreCase: ignoreCase(),
    },
    run: textTest('startsWith', 'prefix'),
  }),
  declare({
    name: 'EndsWith',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True when the text ends with `suffix` (for a list: when any value does).',
      de: 'Wahr, wenn der Text mit `suffix` endet (bei einer Liste: wenn einer der Werte es tut).',
    },
    params: {
      value: param('any', 'Text or a list.', 'Text oder eine Liste.'),
      suffix: param('string', 'The ending to look for.', 'Das gesuchte Ende.'),
      ignoreCase: ignoreCase(),
    },
    run: textTest('endsWith', 'suffix'),
  }),
  declare({
    name: 'IsEmpty',
    category: 'logic',
    result: 'boolean',
    doc: {
      en: 'True for an empty text, an empty list (a claim that was not sent) or a missing value.',
      de: 'Wahr für einen leeren Text, eine leere Liste (ein nicht gesendeter Claim) oder einen fehlenden Wert.',
    },
    params: { value: param('any', 'The value to test.', 'Der zu prüfende Wert.') },
    positional: ['value'],
    run: ({ value }) => value === null || value === '' || (Array.isArray(value) && value.length === 0),
  }),
  declare({
    name: 'IfThenElse',
    category: 'flow',
    result: 'none',
    doc: {
      en: 'Runs the `then` actions when the condition is true, otherwise the `else` actions (optional).',
      de: 'Führt die `then`-Aktionen aus, wenn die Bedingung wahr ist, sonst die `else`-Aktionen (optional).',
    },
    params: {
      if: param('boolean', 'The condition.', 'Die Bedingung.'),
      then: param('actions', 'Actions to run when it is true.', 'Aktionen, die ausgeführt werden, wenn sie wahr ist.', { lazy: true }),
      else: param('actions', 'Actions to run when it is false.', 'Aktionen, die ausgeführt werden, wenn sie falsch ist.', { optional: true, lazy: true }),
    },
    tracesItself: true,
    run(args, runtime, depth) {
      const condition = truthy(args.if);
      runtime.traceStep(condition);
      runtime.runBlock(runtime.itemsOf(condition ? args.then : args.else), depth + 1);
      return null;
    },
  }),
  declare({
    name: 'ForEach',
    category: 'flow',
    result: 'none',
    doc: {
      en: 'Runs the `do` actions once for every value of a list (such as all values of a claim), with the value in the variable named by `as`.',
      de: 'Führt die `do`-Aktionen einmal für jeden Wert einer Liste aus (etwa alle Werte eines Claims), mit dem Wert in der Variablen, die `as` nennt.',
    },
    params: {
      items: param('list', 'The list, e.g. a GetEntry without index.', 'Die Liste, z. B. ein GetEntry ohne Index.'),
      as: param('string', 'The variable name for the current value.', 'Der Variablenname für den aktuellen Wert.', { constant: true, untraced: true }),
      do: param('actions', 'The actions to run for each value.', 'Die Aktionen, die für jeden Wert ausgeführt werden.', { lazy: true }),
    },
    tracesItself: true,
    run({ items, as, do: body }, runtime, depth) {
      const name = runtime.text(as, 'as');
      const list = Array.isArray(items) ? items : items === null ? [] : [items];
      if (list.length > runtime.budgets.maxListItems) runtime.fail('forEachTooLong', { max: runtime.budgets.maxListItems });
      // Each round costs even with an empty body (which is no step): one unit per item.
      runtime.charge(list.length);
      runtime.traceStep(list.length);
      const actions = runtime.itemsOf(body);
      for (const item of list) {
        runtime.setVariable(name, item);
        runtime.runBlock(actions, depth + 1);
      }
      return null;
    },
  }),
  declare({
    name: 'Let',
    category: 'data',
    result: 'none',
    doc: {
      en: 'Stores a value in a variable, read later with `{ var: name }`. Setting it again replaces the value.',
      de: 'Legt einen Wert in einer Variablen ab, später gelesen mit `{ var: name }`. Erneutes Setzen ersetzt den Wert.',
    },
    params: {
      name: param(
        'string',
        'The variable name (letters, digits, _ and .; not starting with "Context.").',
        'Der Variablenname (Buchstaben, Ziffern, _ und .; beginnt nicht mit "Context.").',
        { constant: true, untraced: true },
      ),
      value: param('any', 'The value.', 'Der Wert.'),
    },
    run({ name, value }, runtime) {
      runtime.setVariable(runtime.text(name, 'name'), value);
      return null;
    },
  }),
  declare({
    name: 'Concat',
    category: 'data',
    result: 'string',
    doc: {
      en: 'Joins texts into one, e.g. a display name from first and last name. Short form: `Concat: [a, " ", b]`.',
      de: 'Fügt Texte zu einem zusammen, z. B. einen Anzeigenamen aus Vor- und Nachname. Kurzform: `Concat: [a, " ", b]`.',
    },
    params: { values: param('list', 'The parts.', 'Die Teile.', { untraced: true }) },
    positional: ['values*'],
    run({ values }, runtime) {
      const list = Array.isArray(values) ? values : [values];
      runtime.charge(list.length);
      let joined = '';
      for (const part of list) {
        joined += runtime.scalarText(part);
        if (joined.length > runtime.budgets.maxStringChars) runtime.fail('concatTooLong', { max: runtime.budgets.maxStringChars });
      }
      runtime.charge(textWork(joined.length));
      return joined;
    },
  }),
  declare({
    name: 'Comment',
    category: 'flow',
    result: 'none',
    doc: { en: 'Does nothing; documents the script. Short form: `Comment: "text"`.', de: 'Tut nichts; dokumentiert das Skript. Kurzform: `Comment: "Text"`.' },
    params: { text: param('string', 'The comment.', 'Der Kommentar.', { constant: true, untraced: true }) },
    positional: ['text'],
    run: () => null,
  }),
  declare({
    name: 'Deny',
    category: 'flow',
    result: 'none',
    doc: {
      en: 'Stops the script and refuses the sign-in with the given reason (recorded with the sign-in attempt). No effect of the script is applied.',
      de: 'Beendet das Skript und verweigert die Anmeldung mit dem angegebenen Grund (beim Anmeldeversuch festgehalten). Keine Wirkung des Skripts wird angewandt.',
    },
    params: { reason: param('string', 'Why the sign-in is refused.', 'Warum die Anmeldung verweigert wird.') },
    positional: ['reason'],
    tracesItself: true,
    run({ reason }, runtime) {
      const text = runtime.scalarText(reason).slice(0, 500) || 'denied by the sign-in script';
      runtime.traceStep(null);
      return runtime.deny(text);
    },
  }),
  declare({
    name: 'AddUserToOffice',
    category: 'effect',
    result: 'none',
    doc: {
      en: 'Adds the user to a workspace (office). Applied with the sign-in after the script succeeded.',
      de: 'Fügt den Benutzer einem Arbeitsbereich (Office) hinzu. Wird mit der Anmeldung angewandt, nachdem das Skript erfolgreich war.',
    },
    params: { userId: userIdParam(), officeId: officeIdParam("The office's id (GetSystemId in the designer).", 'Die ID des Arbeitsbereichs (GetSystemId im Designer).') },
    run: membership('office', true),
  }),
  declare({
    name: 'AddUserToGroup',
    category: 'effect',
    result: 'none',
    doc: {
      en: 'Adds the user to a group. Applied with the sign-in after the script succeeded.',
      de: 'Fügt den Benutzer einer Gruppe hinzu. Wird mit der Anmeldung angewandt, nachdem das Skript erfolgreich war.',
    },
    params: { userId: userIdParam(), groupId: param('string', "The group's id (GetSystemId in the designer).", 'Die ID der Gruppe (GetSystemId im Designer).') },
    run: membership('group', true),
  }),
  declare({
    name: 'DeleteUserFromOffice',
    category: 'effect',
    result: 'none',
    doc: { en: 'Removes the user from a workspace (office), if a member.', de: 'Entfernt den Benutzer aus einem Arbeitsbereich (Office), falls er Mitglied ist.' },
    params: { userId: userIdParam(), officeId: officeIdParam("The office's id.", 'Die ID des Arbeitsbereichs.') },
    run: membership('office', false),
  }),
  declare({
    name: 'DeleteUserFromGroup',
    category: 'effect',
    result: 'none',
    doc: { en: 'Removes the user from a group, if a member.', de: 'Entfernt den Benutzer aus einer Gruppe, falls er Mitglied ist.' },
    params: { userId: userIdParam(), groupId: param('string', "The group's id.", 'Die ID der Gruppe.') },
    run: membership('group', false),
  }),
];

const BY_NAME = new Map<string, ActionSpec>();
for (const action of ACTIONS) for (const name of [action.name, ...action.aliases]) BY_NAME.set(name, action);

/** The action for a name or alias (EqualsTo -> EqualTo). */
export function findAction(name: string): ActionSpec | undefined {
  return BY_NAME.get(name);
}

export interface ContextVariableSpec {
  name: string;
  type: ValueType;
  doc: Localised;
}

/** The context variables every script can read. */
export const CONTEXT_VARIABLES: readonly ContextVariableSpec[] = [
  {
    name: 'Context.Claims',
    type: 'claims',
    doc: {
      en: 'The received claims: claim name -> list of values (none or one value is still a list).',
      de: 'Die empfangenen Claims: Claim-Name -> Liste der Werte (kein oder ein Wert ist ebenfalls eine Liste).',
    },
  },
  {
    name: 'Context.User',
    type: 'user',
    doc: {
      en: 'The user about to sign in, read and written with GetValue/SetValue by system name.',
      de: 'Der Benutzer, der sich gerade anmeldet; gelesen und geschrieben mit GetValue/SetValue über den Systemnamen.',
    },
  },
  { name: 'Context.UserId', type: 'string', doc: { en: "The user's id (GUID).", de: 'Die ID des Benutzers (GUID).' } },
];

export const CONTEXT_VARIABLE_TYPES: ReadonlyMap<string, ValueType> = new Map(CONTEXT_VARIABLES.map((variable) => [variable.name, variable.type]));

/** Names that would reach JavaScript's object machinery if used as keys: refused everywhere. */
export const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
