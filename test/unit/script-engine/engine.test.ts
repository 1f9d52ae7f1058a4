/**
 * The engine's behaviour pinned by a table of cases: script + context -> result, or error code at line:column.
 */
import { describe, expect, it } from 'vitest';
import { COMPILED_FORMAT_VERSION, compileScript, describeScriptProblem, isCurrentFormat, loadProgram, runProgram, SCRIPT_PROBLEM_TEXTS, type CompileOptions, type RunContext } from '../../../script-engine/index';

const SURNAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname';
const OFFICE = '11111111-1111-4111-8111-111111111111';
const GROUP = '22222222-2222-4222-8222-222222222222';
const USER_ID = '33333333-3333-4333-8333-333333333333';

const options: CompileOptions = {
  knownOfficeIds: [OFFICE],
  knownGroupIds: [GROUP],
  userFields: [
    { name: 'login', writable: false, type: 'string' },
    { name: 'firstName', writable: true, type: 'string' },
    { name: 'lastName', writable: true, type: 'string' },
    { name: 'language', writable: true, type: 'string' },
    { name: 'enabled', writable: true, type: 'boolean' },
  ],
};

const context = (claims: Record<string, string[]> = {}): RunContext => ({
  claims,
  user: { login: 'ada', firstName: 'Ada', lastName: 'Old', language: 'en', enabled: true },
  userId: USER_ID,
});

const script = (body: string) => `version: 1\nactions:\n${body}`;

function run(source: string, claims: Record<string, string[]> = {}) {
  const compiled = compileScript(source, options);
  if (!compiled.ok) throw new Error(`did not compile: ${JSON.stringify(compiled.errors)}`);
  // The stored form is JSON: run what a round trip through the database gives back.
  return runProgram(JSON.parse(JSON.stringify(compiled.program)), context(claims), { dryRun: true });
}

describe('the two examples from the issue', () => {
  it('example 1: last name from the claims, set on the user, saved', () => {
    const result = run(
      script(`  - SetValue:
      object: { var: Context.User }
      field: lastName
      value: { GetEntry: { claims: { var: Context.Claims }, key: "${SURNAME}", index: 0 } }
  - SaveInstance: { object: { var: Context.User } }
`),
      { [SURNAME]: ['Lovelace'] },
    );
    expect(result.outcome).toBe('success');
    expect(result.effects).toEqual([{ kind: 'saveUser', changes: { lastName: 'Lovelace' } }]);
  });

  const example2 = script(`  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, "admin" ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${OFFICE}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${GROUP}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${GROUP}" }
`);

  it('example 2: extRole admin adds to the office and group', () => {
    expect(run(example2, { extRole: ['admin'] }).effects).toEqual([
      { kind: 'addToOffice', userId: USER_ID, officeId: OFFICE },
      { kind: 'addToGroup', userId: USER_ID, groupId: GROUP },
    ]);
  });

  it('example 2: any other role (or none) removes from the group', () => {
    for (const claims of [{ extRole: ['user'] }, {}] as Array<Record<string, string[]>>) {
      expect(run(example2, claims).effects).toEqual([{ kind: 'removeFromGroup', userId: USER_ID, groupId: GROUP }]);
    }
  });
});

describe('actions', () => {
  const cases: Array<{ name: string; body: string; claims?: Record<string, string[]>; user?: Record<string, unknown>; effects?: unknown[]; denied?: string }> = [
    {
      name: 'EqualsTo is accepted as EqualTo',
      body: `  - IfThenElse: { if: { EqualsTo: [ { GetEntry: { key: r } }, x ] }, then: [ { Deny: matched } ] }\n`,
      claims: { r: ['y', 'x'] },
      denied: 'matched',
    },
    {
      name: 'NotEqualTo, Not, And, Or with short-circuit',
      body: `  - IfThenElse:
      if: { And: [ { NotEqualTo: [ a, b ] }, { Or: [ false, { Not: { IsEmpty: { GetEntry: { key: dept } } } } ] } ] }
      then: [ { Deny: ok } ]\n`,
      claims: { dept: ['IT'] },
      denied: 'ok',
    },
    {
      name: 'Contains / StartsWith / EndsWith on text and lists, ignoring case',
      body: `  - IfThenElse:
      if: { And: [ { Contains: { value: { GetEntry: { key: groups } }, search: STAFF, ignoreCase: true } }, { StartsWith: { value: "admin@corp", prefix: admin } }, { EndsWith: { value: { GetEntry: { key: groups } }, suffix: ers } } ] }
      then: [ { Deny: all } ]\n`,
      claims: { groups: ['staff', 'developers'] },
      denied: 'all',
    },
    {
      name: 'ForEach over claim values with Let and Concat',
      body: `  - Let: { name: joined, value: "" }
  - ForEach:
      items: { GetEntry: { key: roles } }
      as: role
      do:
        - Let: { name: joined, value: { Concat: [ { var: joined }, { var: role }, ";" ] } }
  - SetValue: { object: { var: Context.User }, field: firstName, value: { var: joined } }
  - SaveInstance: { object: { var: Context.User } }\n`,
      claims: { roles: ['a', 'b', 'c'] },
      effects: [{ kind: 'saveUser', changes: { firstName: 'a;b;c;' } }],
    },
    {
      name: 'GetEntry index -1 is the last value; a missing index gives empty text',
      body: `  - SetValue: { object: { var: Context.User }, field: firstName, value: { GetEntry: { key: n, index: -1 } } }
  - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: n, index: 7 } } }
  - SaveInstance: { object: { var: Context.User } }\n`,
      claims: { n: ['x', 'z'] },
      effects: [{ kind: 'saveUser', changes: { firstName: 'z', lastName: '' } }],
    },
    {
      name: 'SetValue without SaveInstance changes nothing that is stored',
      body: `  - SetValue: { object: { var: Context.User }, field: lastName, value: New }\n  - Comment: "not saved on purpose"\n`,
      effects: [],
    },
    {
      name: 'SaveInstance twice emits only the new changes',
      body: `  - SetValue: { object: { var: Context.User }, field: lastName, value: A }
  - SaveInstance: { object: { var: Context.User } }
  - SetValue: { object: { var: Context.User }, field: language, value: de }
  - SaveInstance: { object: { var: Context.User } }
  - SaveInstance: { object: { var: Context.User } }\n`,
      effects: [
        { kind: 'saveUser', changes: { lastName: 'A' } },
        { kind: 'saveUser', changes: { language: 'de' } },
      ],
    },
    {
      name: 'GetValue reads the user; booleans are set from true/false',
      body: `  - IfThenElse:
      if: { EqualTo: [ { GetValue: { object: { var: Context.User }, field: login } }, ada ] }
      then:
        - SetValue: { object: { var: Context.User }, field: enabled, value: false }
        - SaveInstance: { object: { var: Context.User } }\n`,
      effects: [{ kind: 'saveUser', changes: { enabled: false } }],
    },
    {
      name: 'Deny discards effects produced before it',
      body: `  - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${GROUP}" }\n  - Deny: { reason: "contractors may not sign in" }\n`,
      denied: 'contractors may not sign in',
      effects: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = run(script(c.body), c.claims);
      expect(result.outcome, JSON.stringify(result.error)).toBe('success');
      if (c.denied !== undefined) expect(result.denied).toBe(c.denied);
      else expect(result.denied).toBeUndefined();
      if (c.effects) expect(result.effects).toEqual(c.effects);
    });
  }

  it('records a trace of every action with inputs and output in a dry run', () => {
    const result = run(script(`  - Let: { name: x, value: { GetEntry: { key: k, index: 0 } } }\n`), { k: ['v'] });
    expect(result.trace).toEqual([
      { action: 'GetEntry', line: 3, column: 28, inputs: { key: 'k', index: 0 }, output: 'v' },
      { action: 'Let', line: 3, column: 5, inputs: { value: 'v' }, output: null },
    ]);
  });
});

describe('checker errors carry a code and the line:column', () => {
  const cases: Array<{ name: string; source: string; code: string; line: number; column: number }> = [
    { name: 'YAML syntax', source: 'version: 1\nactions:\n  - SetValue: { object: [\n', code: 'YAML_SYNTAX', line: 4, column: 1 },
    { name: 'not a mapping', source: '- a\n', code: 'INVALID_SCRIPT', line: 1, column: 1 },
    { name: 'unknown top-level key', source: 'version: 1\nactions: []\nextra: 1\n', code: 'UNKNOWN_FIELD', line: 3, column: 1 },
    { name: 'wrong version', source: 'version: 2\nactions: []\n', code: 'UNSUPPORTED_VERSION', line: 1, column: 10 },
    { name: 'unknown action', source: script('  - Frobnicate: {}\n'), code: 'UNKNOWN_ACTION', line: 3, column: 5 },
    { name: 'unknown parameter', source: script('  - Comment: { text: a, colour: red }\n'), code: 'UNKNOWN_PARAMETER', line: 3, column: 25 },
    { name: 'missing parameter', source: script('  - SetValue: { object: { var: Context.User }, field: lastName }\n'), code: 'MISSING_PARAMETER', line: 3, column: 5 },
    { name: 'unknown variable', source: script('  - Let: { name: a, value: { var: nope } }\n'), code: 'UNKNOWN_VARIABLE', line: 3, column: 28 },
    { name: 'variable used before Let', source: script('  - Comment: { text: x }\n  - Let: { name: a, value: { var: b } }\n  - Let: { name: b, value: 1 }\n'), code: 'UNKNOWN_VARIABLE', line: 4, column: 28 },
    { name: 'unknown user field', source: script('  - SetValue: { object: { var: Context.User }, field: shoeSize, value: 42 }\n'), code: 'UNKNOWN_FIELD', line: 3, column: 55 },
    { name: 'read-only field', source: script('  - SetValue: { object: { var: Context.User }, field: login, value: x }\n'), code: 'READ_ONLY_FIELD', line: 3, column: 55 },
    { name: 'wrong constant for a boolean field', source: script('  - SetValue: { object: { var: Context.User }, field: enabled, value: yes please }\n'), code: 'WRONG_TYPE', line: 3, column: 71 },
    { name: 'unknown office id', source: script('  - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "nope" }\n'), code: 'UNKNOWN_ID', line: 3, column: 67 },
    { name: 'unknown group id', source: script('  - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: x }\n'), code: 'UNKNOWN_ID', line: 3, column: 70 },
    { name: 'wrong type: user where claims expected', source: script('  - Let: { name: a, value: { GetEntry: { claims: { var: Context.User }, key: k } } }\n'), code: 'WRONG_TYPE', line: 3, column: 50 },
    { name: 'a value-less action used as a value', source: script('  - Let: { name: a, value: { Comment: hi } }\n'), code: 'WRONG_TYPE', line: 3, column: 28 },
    { name: 'then is not a list', source: script('  - IfThenElse: { if: true, then: { Deny: x } }\n'), code: 'WRONG_TYPE', line: 3, column: 35 },
    { name: 'a constant in an action list', source: script('  - hello\n'), code: 'NOT_AN_ACTION', line: 3, column: 5 },
    { name: 'unreachable after Deny', source: script('  - Deny: stop\n  - Comment: never\n'), code: 'UNREACHABLE', line: 4, column: 5 },
    { name: '__proto__ as parameter', source: script('  - Comment: { __proto__: x }\n'), code: 'FORBIDDEN_NAME', line: 3, column: 16 },
    { name: 'constructor as variable', source: script('  - Let: { name: constructor, value: 1 }\n'), code: 'FORBIDDEN_NAME', line: 3, column: 18 },
    { name: 'prototype as field', source: script('  - Let: { name: a, value: { GetValue: { object: { var: Context.User }, field: prototype } } }\n'), code: 'FORBIDDEN_NAME', line: 3, column: 80 },
    { name: 'replacing a context variable', source: script('  - Let: { name: Context.UserId, value: x }\n'), code: 'FORBIDDEN_NAME', line: 3, column: 18 },
    { name: 'YAML aliases (billion laughs)', source: 'version: 1\nx: &a [1]\nactions: [ { Comment: *a } ]\n', code: 'YAML_SYNTAX', line: 1, column: 1 },
    { name: 'duplicate key', source: script('  - Comment: { text: a, text: b }\n'), code: 'DUPLICATE_KEY', line: 3, column: 25 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = compileScript(c.source, options);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors[0], JSON.stringify(result.errors)).toMatchObject({ code: c.code, line: c.line, column: c.column });
    });
  }
});

describe('the compiled form', () => {
  it('names its tags and parameters, and carries its format version', () => {
    const compiled = compileScript(script('  - Let: { name: x, value: { GetEntry: { key: k, index: 0 } } }\n'), options);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    expect(compiled.program).toEqual({
      format: 'eid-script',
      formatVersion: COMPILED_FORMAT_VERSION,
      onError: 'deny',
      actions: [
        {
          tag: 'action',
          action: 'Let',
          params: {
            name: { tag: 'const', value: 'x' },
            value: { tag: 'action', action: 'GetEntry', params: { key: { tag: 'const', value: 'k' }, index: { tag: 'const', value: 0 } }, line: 3, column: 28 },
          },
          line: 3,
          column: 5,
        },
      ],
    });
    expect(loadProgram(JSON.parse(JSON.stringify(compiled.program)))).toEqual(compiled.program);
  });

  it('a stored program of another format or with unknown parts is refused by loadProgram and ends in an error result when run', () => {
    const formatOne = { format: 'eid-script/1', onError: 'deny', actions: [[3, 'Comment', [[0, 'x']], 3, 5]] };
    expect(isCurrentFormat(formatOne)).toBe(false);
    expect(() => loadProgram(formatOne)).toThrow();
    const unknown = { format: 'eid-script', formatVersion: COMPILED_FORMAT_VERSION, onError: 'deny', actions: [{ tag: 'action', action: 'NoSuchAction', params: {}, line: 3, column: 5 }] };
    expect(() => loadProgram(unknown)).toThrow();
    const extraParameter = { ...unknown, actions: [{ tag: 'action', action: 'Comment', params: { text: { tag: 'const', value: 'x' }, colour: { tag: 'const', value: 'red' } }, line: 3, column: 5 }] };
    expect(() => loadProgram(extraParameter)).toThrow();
    for (const program of [formatOne, unknown]) expect(runProgram(program as never, context()).error).toMatchObject({ code: 'INVALID_PROGRAM' });
  });
});

describe('problems carry a code, the problem and its parameters, rendered in either language', () => {
  it('an unknown parameter: English message for API clients, German from the same problem and parameters', () => {
    const result = compileScript(script('  - Comment: { text: a, colour: red }\n'), options);
    if (result.ok) throw new Error('compiled');
    const [error] = result.errors;
    expect(error).toEqual({
      code: 'UNKNOWN_PARAMETER',
      problem: 'unknownParameter',
      params: { action: 'Comment', name: 'colour', parameters: 'text' },
      message: 'Comment has no parameter "colour"; it takes text.',
      line: 3,
      column: 25,
    });
    expect(describeScriptProblem(error!, 'de')).toBe('Comment hat keinen Parameter „colour“; es nimmt text.');
    expect(describeScriptProblem(error!, 'en')).toBe(error!.message);
  });

  it("YAML syntax errors are said in German by their kind, not in the yaml library's English", () => {
    const germanOf = (source: string) => {
      const result = compileScript(source, options);
      if (result.ok) throw new Error('compiled');
      return describeScriptProblem(result.errors[0]!, 'de');
    };
    expect(germanOf('version: 1\nactions:\n  - Comment: { text: "a\n')).toBe('Kein gültiges YAML: Ein hier geöffnetes Anführungszeichen oder eine Klammer wird nicht geschlossen.');
    expect(germanOf('version: 1\nactions\n  - Comment: { text: a }\n')).toBe('Kein gültiges YAML: Ein Schlüssel steht in einer Zeile und hat nach dem Doppelpunkt einen Wert („schlüssel: wert“).');
    expect(germanOf('version: 1\nactions:\n  - Comment: { text: a }\n \tx: 1\n')).toMatch(/^Kein gültiges YAML: /);
    expect(germanOf('version: 1\n  actions: []\n')).not.toMatch(/[Ii]ndent|must|need/);
  });

  it('type words are translated inside the text', () => {
    const result = compileScript(script('  - Let: { name: a, value: { GetEntry: { claims: { var: Context.User }, key: k } } }\n'), options);
    if (result.ok) throw new Error('compiled');
    expect(result.errors[0]).toMatchObject({ problem: 'wrongType', params: { expected: 'claims', actual: 'user' } });
    expect(describeScriptProblem(result.errors[0]!, 'de')).toBe('„claims“ von GetEntry muss die Claims sein, nicht ein Benutzer.');
  });

  it('every problem has a German text of its own, and a problem this bundle does not know keeps the English message', () => {
    const params = { action: 'SetValue', name: 'x', max: 3, line: 4, key: 'k', detail: 'd', parameters: 'p', contextVariables: 'c', fields: 'f', expected: 'string', actual: 'number', type: 'string', kind: 'office', id: 'i', count: 2, more: 5, size: 7 };
    for (const problem of Object.keys(SCRIPT_PROBLEM_TEXTS.en) as Array<keyof typeof SCRIPT_PROBLEM_TEXTS.en>) {
      const en = SCRIPT_PROBLEM_TEXTS.en[problem](params);
      const de = SCRIPT_PROBLEM_TEXTS.de[problem](params);
      expect(de, problem).not.toBe(en);
      expect(`${en} ${de}`, problem).not.toContain('undefined');
    }
    expect(describeScriptProblem({ problem: 'fromTheFuture', params: {}, message: 'As the server said.' }, 'de')).toBe('As the server said.');
  });
});
