/**
 * The catalogue of actions: names, parameters with their types, result types and documentation. The checker,
 * the compiler, the Script Designer's completion and hover, and README.md all follow this one table.
 */

/** Static types the checker reasons with. `any` accepts everything; `actions` is a list of actions to run. */
export type ValueType = 'any' | 'string' | 'number' | 'boolean' | 'list' | 'claims' | 'user' | 'actions' | 'none';

export interface ParameterSpec {
  name: string;
  type: ValueType;
  required: boolean;
  description: string;
  /** The parameter must be a constant (a name, not a computed value): variable names, for instance. */
  constant?: boolean;
}

export interface ActionSpec {
  name: string;
  aliases?: string[];
  /** "data": reads and computes; "flow": controls what runs; "effect": changes the user or memberships. */
  category: 'data' | 'logic' | 'flow' | 'effect';
  result: ValueType;
  description: string;
  parameters: ParameterSpec[];
  /** Positional shorthand: `EqualTo: [a, b]` fills these parameters in order. */
  positional?: string[];
}

const p = (name: string, type: ValueType, description: string, options: { optional?: boolean; constant?: boolean } = {}): ParameterSpec => ({
  name,
  type,
  required: !options.optional,
  description,
  ...(options.constant ? { constant: true } : {}),
});

export const ACTIONS: readonly ActionSpec[] = [
  {
    name: 'GetEntry',
    category: 'data',
    result: 'any',
    description: "A claim's values from the received claims: the list of all values, or one of them with `index` (0 is the first, -1 the last). A missing claim is an empty list; a missing index gives an empty string.",
    parameters: [
      p('claims', 'claims', 'The claims to read; usually `{ var: Context.Claims }` (the default).', { optional: true }),
      p('key', 'string', 'The claim name: a full URI such as http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname, or a short attribute name.'),
      p('index', 'number', 'Which value to return instead of the list.', { optional: true }),
    ],
  },
  {
    name: 'GetValue',
    category: 'data',
    result: 'any',
    description: 'Reads a field of an object by its system name, e.g. `lastName` of Context.User.',
    parameters: [p('object', 'user', 'The object, usually `{ var: Context.User }`.'), p('field', 'string', "The field's system name.")],
  },
  {
    name: 'SetValue',
    category: 'effect',
    result: 'none',
    description: 'Sets a field of an object by its system name. Nothing is stored until SaveInstance.',
    parameters: [p('object', 'user', 'The object, usually `{ var: Context.User }`.'), p('field', 'string', "The field's system name."), p('value', 'any', 'The new value.')],
  },
  {
    name: 'SaveInstance',
    category: 'effect',
    result: 'none',
    description: 'Stores the changes made with SetValue. The changes are written together with the sign-in, after the whole script succeeded.',
    parameters: [p('object', 'user', 'The object to save, usually `{ var: Context.User }`.')],
  },
  {
    name: 'EqualTo',
    aliases: ['EqualsTo'],
    category: 'logic',
    result: 'boolean',
    description: 'True when both values are equal. When one side is a list (a claim with several values), true when any of its values equals the other side. Short form: `EqualTo: [a, b]`.',
    parameters: [p('left', 'any', 'The first value.'), p('right', 'any', 'The second value.'), p('ignoreCase', 'boolean', 'Compare text without regard to case.', { optional: true })],
    positional: ['left', 'right'],
  },
  {
    name: 'NotEqualTo',
    category: 'logic',
    result: 'boolean',
    description: 'The opposite of EqualTo. Short form: `NotEqualTo: [a, b]`.',
    parameters: [p('left', 'any', 'The first value.'), p('right', 'any', 'The second value.'), p('ignoreCase', 'boolean', 'Compare text without regard to case.', { optional: true })],
    positional: ['left', 'right'],
  },
  {
    name: 'And',
    category: 'logic',
    result: 'boolean',
    description: 'True when every condition is true; stops at the first false one. Short form: `And: [c1, c2, ...]`.',
    parameters: [p('conditions', 'list', 'The conditions.')],
    positional: ['conditions*'],
  },
  {
    name: 'Or',
    category: 'logic',
    result: 'boolean',
    description: 'True when any condition is true; stops at the first true one. Short form: `Or: [c1, c2, ...]`.',
    parameters: [p('conditions', 'list', 'The conditions.')],
    positional: ['conditions*'],
  },
  {
    name: 'Not',
    category: 'logic',
    result: 'boolean',
    description: 'True when the value is false, empty or missing.',
    parameters: [p('value', 'any', 'The condition to negate.')],
    positional: ['value'],
  },
  {
    name: 'Contains',
    category: 'logic',
    result: 'boolean',
    description: 'True when the text contains `search`, or when the list has an element equal to it.',
    parameters: [p('value', 'any', 'Text or a list.'), p('search', 'string', 'What to look for.'), p('ignoreCase', 'boolean', 'Ignore case.', { optional: true })],
  },
  {
    name: 'StartsWith',
    category: 'logic',
    result: 'boolean',
    description: 'True when the text starts with `prefix` (for a list: when any value does).',
    parameters: [p('value', 'any', 'Text or a list.'), p('prefix', 'string', 'The beginning to look for.'), p('ignoreCase', 'boolean', 'Ignore case.', { optional: true })],
  },
  {
    name: 'EndsWith',
    category: 'logic',
    result: 'boolean',
    description: 'True when the text ends with `suffix` (for a list: when any value does).',
    parameters: [p('value', 'any', 'Text or a list.'), p('suffix', 'string', 'The ending to look for.'), p('ignoreCase', 'boolean', 'Ignore case.', { optional: true })],
  },
  {
    name: 'IsEmpty',
    category: 'logic',
    result: 'boolean',
    description: 'True for an empty text, an empty list (a claim that was not sent) or a missing value.',
    parameters: [p('value', 'any', 'The value to test.')],
    positional: ['value'],
  },
  {
    name: 'IfThenElse',
    category: 'flow',
    result: 'none',
    description: 'Runs the `then` actions when the condition is true, otherwise the `else` actions (optional).',
    parameters: [p('if', 'boolean', 'The condition.'), p('then', 'actions', 'Actions to run when it is true.'), p('else', 'actions', 'Actions to run when it is false.', { optional: true })],
  },
  {
    name: 'ForEach',
    category: 'flow',
    result: 'none',
    description: 'Runs the `do` actions once for every value of a list (such as all values of a claim), with the value in the variable named by `as`.',
    parameters: [p('items', 'list', 'The list, e.g. a GetEntry without index.'), p('as', 'string', 'The variable name for the current value.', { constant: true }), p('do', 'actions', 'The actions to run for each value.')],
  },
  {
    name: 'Let',
    category: 'data',
    result: 'none',
    description: 'Stores a value in a variable, read later with `{ var: name }`. Setting it again replaces the value.',
    parameters: [p('name', 'string', 'The variable name (letters, digits, _ and .; not starting with "Context.").', { constant: true }), p('value', 'any', 'The value.')],
  },
  {
    name: 'Concat',
    category: 'data',
    result: 'string',
    description: 'Joins texts into one, e.g. a display name from first and last name. Short form: `Concat: [a, " ", b]`.',
    parameters: [p('values', 'list', 'The parts.')],
    positional: ['values*'],
  },
  {
    name: 'Comment',
    category: 'flow',
    result: 'none',
    description: 'Does nothing; documents the script. Short form: `Comment: "text"`.',
    parameters: [p('text', 'string', 'The comment.', { constant: true })],
    positional: ['text'],
  },
  {
    name: 'Deny',
    category: 'flow',
    result: 'none',
    description: 'Stops the script and refuses the sign-in with the given reason (recorded with the sign-in attempt). No effect of the script is applied.',
    parameters: [p('reason', 'string', 'Why the sign-in is refused.')],
    positional: ['reason'],
  },
  {
    name: 'AddUserToOffice',
    category: 'effect',
    result: 'none',
    description: 'Adds the user to a workspace (office). Applied with the sign-in after the script succeeded.',
    parameters: [p('userId', 'string', 'The user, usually `{ var: Context.UserId }`.'), p('officeId', 'string', "The office's id (GetSystemId in the designer).")],
  },
  {
    name: 'AddUserToGroup',
    category: 'effect',
    result: 'none',
    description: 'Adds the user to a group. Applied with the sign-in after the script succeeded.',
    parameters: [p('userId', 'string', 'The user, usually `{ var: Context.UserId }`.'), p('groupId', 'string', "The group's id (GetSystemId in the designer).")],
  },
  {
    name: 'DeleteUserFromOffice',
    category: 'effect',
    result: 'none',
    description: 'Removes the user from a workspace (office), if a member.',
    parameters: [p('userId', 'string', 'The user, usually `{ var: Context.UserId }`.'), p('officeId', 'string', "The office's id.")],
  },
  {
    name: 'DeleteUserFromGroup',
    category: 'effect',
    result: 'none',
    description: 'Removes the user from a group, if a member.',
    parameters: [p('userId', 'string', 'The user, usually `{ var: Context.UserId }`.'), p('groupId', 'string', "The group's id.")],
  },
];

const BY_NAME = new Map<string, ActionSpec>();
for (const action of ACTIONS) for (const name of [action.name, ...(action.aliases ?? [])]) BY_NAME.set(name, action);

/** The action for a name or alias (EqualsTo -> EqualTo). */
export function findAction(name: string): ActionSpec | undefined {
  return BY_NAME.get(name);
}

/** The context variables every script can read. */
export const CONTEXT_VARIABLES: Readonly<Record<string, { type: ValueType; description: string }>> = {
  'Context.Claims': { type: 'claims', description: 'The received claims: claim name -> list of values (none or one value is still a list).' },
  'Context.User': { type: 'user', description: 'The user about to sign in, read and written with GetValue/SetValue by system name.' },
  'Context.UserId': { type: 'string', description: "The user's id (GUID)." },
};

/** Names that would reach JavaScript's object machinery if used as keys: refused everywhere. */
export const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
