/**
 * Claims as a caller outside TypeScript may pass them (parsed JSON): the engine checks each value before a script
 * sees it, whatever RunContext declares. A single text counts as a list of that one value; a value that is no text
 * is refused.
 */
import { describe, expect, it } from 'vitest';
import { compileScript, runProgram, type RunContext } from '../../../script-engine/index';

const user = { login: 'ada', firstName: 'Ada', lastName: 'L', language: 'en', enabled: true };

/** Writes claim `a`'s first and last value into the user's first name. */
const program = (() => {
  const compiled = compileScript(
    `version: 1
actions:
  - SetValue: { object: { var: Context.User }, field: firstName, value: { Concat: [ { GetEntry: { key: a, index: 0 } }, '|', { GetEntry: { key: a, index: -1 } } ] } }
`,
  );
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.program;
})();

const runWith = (claimsJson: string) => runProgram(program, { claims: JSON.parse(claimsJson) as RunContext['claims'], user, userId: 'u' }, { budgets: { maxStringChars: 5 } });

describe('claims received from an untyped caller', () => {
  it('a single text is a list of that one value', () => {
    const result = runWith('{"a": "xy"}');
    expect(result.outcome).toBe('success');
    expect(result.user.firstName).toBe('xy|xy');
  });

  it('a single text is held to the length budget like any value', () => {
    expect(runWith('{"a": "123456"}').error).toMatchObject({ code: 'INPUT_TOO_LARGE', problem: 'claimValueTooLong', params: { name: 'a', max: 5 } });
  });

  it('a value that is no text is refused, alone or in a list', () => {
    for (const claims of ['{"a": 5}', '{"a": ["x", 5]}', '{"a": null}', '{"a": [{"x": "y"}]}']) {
      expect(runWith(claims).error, claims).toMatchObject({ code: 'INPUT_TOO_LARGE', problem: 'claimValueNotText', params: { name: 'a' } });
    }
  });
});
