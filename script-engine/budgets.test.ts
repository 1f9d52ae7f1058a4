/**
 * The sandbox is a set of budgets, not a timer: each one is tested at its limit (allowed) and one past it
 * (refused with its own code), and hostile inputs end in a result, never an exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import { compileScript, DEFAULT_BUDGETS, runProgram, type Budgets } from './index';

const user = { login: 'ada', firstName: 'Ada', lastName: 'L', language: 'en', enabled: true };

function compileOk(source: string, budgets: Partial<Budgets> = {}) {
  const result = compileScript(source, { budgets });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.program;
}

/** N actions in a flat list. */
const flat = (n: number) => `version: 1\nactions:\n${'  - Comment: x\n'.repeat(n)}`;
/** An expression nested n levels deep: Not: Not: ... true. */
const nested = (n: number) => `version: 1\nactions:\n  - Let: { name: v, value: ${'{ Not: '.repeat(n)}true${' }'.repeat(n)} }\n`;

describe('budgets: at the limit and one past it', () => {
  it('steps', () => {
    const budgets = { maxSteps: 50 };
    expect(runProgram(compileOk(flat(50)), { claims: {}, user, userId: 'u' }, { budgets }).outcome).toBe('success');
    const over = runProgram(compileOk(flat(51)), { claims: {}, user, userId: 'u' }, { budgets });
    expect(over.error).toMatchObject({ code: 'STEP_BUDGET_EXCEEDED', line: 53 });
  });

  it('nesting depth, when parsing', () => {
    // The Let is level 1, its value level 2, each Not one more.
    expect(compileScript(nested(8), { budgets: { maxDepth: 10 } }).ok).toBe(true);
    const over = compileScript(nested(9), { budgets: { maxDepth: 10 } });
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.errors[0]!.code).toBe('TOO_DEEP');
  });

  it('nesting depth, when running a stored program compiled under a larger budget', () => {
    const program = compileOk(nested(20), { maxDepth: 40 });
    expect(runProgram(program, { claims: {}, user, userId: 'u' }, { budgets: { maxDepth: 40 } }).outcome).toBe('success');
    expect(runProgram(program, { claims: {}, user, userId: 'u' }, { budgets: { maxDepth: 10 } }).error?.code).toBe('TOO_DEEP');
  });

  it('effects', () => {
    const source = (n: number) => `version: 1\nactions:\n${'  - AddUserToGroup: { userId: u, groupId: g }\n'.repeat(n)}`;
    expect(runProgram(compileOk(source(5)), { claims: {}, user, userId: 'u' }, { budgets: { maxEffects: 5 } }).effects).toHaveLength(5);
    const over = runProgram(compileOk(source(6)), { claims: {}, user, userId: 'u' }, { budgets: { maxEffects: 5 } });
    expect(over).toMatchObject({ outcome: 'error', error: { code: 'EFFECT_BUDGET_EXCEEDED' }, effects: [] });
  });

  it('string length built at run time', () => {
    const source = `version: 1\nactions:\n  - Let: { name: s, value: { Concat: [ { GetEntry: { key: a, index: 0 } }, { GetEntry: { key: a, index: 0 } } ] } }\n`;
    const program = compileOk(source);
    const budgets = { maxStringChars: 10 };
    expect(runProgram(program, { claims: { a: ['12345'] }, user, userId: 'u' }, { budgets }).outcome).toBe('success');
    expect(runProgram(program, { claims: { a: ['123456'] }, user, userId: 'u' }, { budgets }).error?.code).toBe('STRING_TOO_LONG');
  });

  it('claim values received (count and size)', () => {
    const program = compileOk(flat(1));
    const budgets = { maxListItems: 3, maxStringChars: 5 };
    expect(runProgram(program, { claims: { a: ['1', '2', '3'] }, user, userId: 'u' }, { budgets }).outcome).toBe('success');
    expect(runProgram(program, { claims: { a: ['1', '2', '3', '4'] }, user, userId: 'u' }, { budgets }).error?.code).toBe('INPUT_TOO_LARGE');
    expect(runProgram(program, { claims: { a: ['123456'] }, user, userId: 'u' }, { budgets }).error?.code).toBe('INPUT_TOO_LARGE');
  });

  it('variables', () => {
    const source = (n: number) => `version: 1\nactions:\n${Array.from({ length: n }, (_, i) => `  - Let: { name: v${i}, value: 1 }\n`).join('')}`;
    expect(runProgram(compileOk(source(4)), { claims: {}, user, userId: 'u' }, { budgets: { maxVariables: 4 } }).outcome).toBe('success');
    expect(runProgram(compileOk(source(5)), { claims: {}, user, userId: 'u' }, { budgets: { maxVariables: 4 } }).error?.code).toBe('TOO_MANY_VARIABLES');
  });

  it('source size', () => {
    const source = flat(10);
    expect(compileScript(source, { budgets: { maxSourceChars: source.length } }).ok).toBe(true);
    const over = compileScript(source, { budgets: { maxSourceChars: source.length - 1 } });
    expect(!over.ok && over.errors[0]!.code).toBe('SOURCE_TOO_LARGE');
  });
});

describe('hostile scripts and inputs', () => {
  it('nested loops over a large claim stop at the step budget, not after billions of steps', () => {
    const source = `version: 1
actions:
  - ForEach:
      items: { GetEntry: { key: many } }
      as: a
      do:
        - ForEach:
            items: { GetEntry: { key: many } }
            as: b
            do:
              - ForEach: { items: { GetEntry: { key: many } }, as: c, do: [ { Comment: x } ] }
`;
    const many = Array.from({ length: 1000 }, (_, i) => String(i));
    const result = runProgram(compileOk(source), { claims: { many }, user, userId: 'u' });
    expect(result.error?.code).toBe('STEP_BUDGET_EXCEEDED');
    expect(result.steps).toBe(DEFAULT_BUDGETS.maxSteps + 1);
  });

  it('prototype keys in claims and user are ignored, never reach Object.prototype', () => {
    const claims = JSON.parse('{"__proto__": ["polluted"], "ok": ["1"]}');
    const source = `version: 1\nactions:\n  - Let: { name: v, value: { GetEntry: { key: ok } } }\n`;
    const result = runProgram(compileOk(source), { claims, user: JSON.parse('{"__proto__": {"x": 1}, "login": "a"}'), userId: 'u' });
    expect(result.outcome).toBe('success');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.keys(result.user)).toEqual(['login']);
  });

  it('a malformed stored program gives an error result, not an exception', () => {
    const result = runProgram({ format: 'eid-script/1', onError: 'deny', actions: [[3, 'NoSuchAction', [], 1, 1]] } as never, { claims: {}, user, userId: 'u' });
    expect(result.outcome).toBe('error');
  });
});

describe('fuzz: random and mutated sources never throw', () => {
  // A seeded PRNG (mulberry32) so a failure reproduces.
  function prng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const base = `version: 1
onError: deny
actions:
  - Let: { name: r, value: { GetEntry: { key: role, index: 0 } } }
  - IfThenElse:
      if: { Or: [ { EqualTo: [ { var: r }, admin ] }, { Contains: { value: { GetEntry: { key: g } }, search: x } } ] }
      then:
        - SetValue: { object: { var: Context.User }, field: lastName, value: { Concat: [ a, { var: r } ] } }
        - SaveInstance: { object: { var: Context.User } }
        - ForEach: { items: { GetEntry: { key: g } }, as: i, do: [ { AddUserToGroup: { userId: { var: Context.UserId }, groupId: { var: i } } } ] }
      else: [ { Deny: no } ]
`;
  const pieces = ['{', '}', '[', ']', ':', '-', ' ', '\n', '  ', 'var', 'Context.User', '__proto__', 'Not', 'GetEntry', '&a', '*a', '"', "'", '#', '!!str', '0', '-1', 'true', 'null', 'EqualTo:'];

  it('2000 mutations of a valid script compile or fail with located errors, and whatever compiles runs to a result', () => {
    const random = prng(20261122);
    for (let iteration = 0; iteration < 2000; iteration++) {
      let source = base;
      const edits = 1 + Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * source.length);
        const kind = random();
        if (kind < 0.4) source = source.slice(0, at) + source.slice(at + 1 + Math.floor(random() * 5));
        else source = source.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + source.slice(at);
      }
      const compiled = compileScript(source);
      if (!compiled.ok) {
        for (const error of compiled.errors) {
          expect(error.code).toMatch(/^[A-Z_]+$/);
          expect(error.line).toBeGreaterThanOrEqual(1);
          expect(error.column).toBeGreaterThanOrEqual(1);
        }
        continue;
      }
      const result = runProgram(compiled.program, { claims: { role: ['admin'], g: ['x', 'y'] }, user, userId: 'u' }, { dryRun: true });
      expect(['success', 'error']).toContain(result.outcome);
    }
  });
});
