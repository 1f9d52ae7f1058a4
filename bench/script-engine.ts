/**
 * `npm run bench -- script-engine`: a typical 10-action sign-in script, compiled once (as the Worker caches it),
 * run over and over, against the same logic written as plain TypeScript, in the same process and run.
 * Budget (DESIGN.md §8): tens of microseconds per run, within 10x of plain TypeScript.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileScript, runProgram, type Effect, type RunContext } from '../script-engine';
import { REPO_ROOT } from './lib/worker';

const OFFICE = '11111111-1111-4111-8111-111111111111';
const GROUP = '22222222-2222-4222-8222-222222222222';
const SURNAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname';
const GIVEN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname';

/** Ten actions: two names from claims, a language default, a save, and role-based memberships. */
const SOURCE = `version: 1
actions:
  - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: "${SURNAME}", index: 0 } } }
  - SetValue: { object: { var: Context.User }, field: firstName, value: { GetEntry: { key: "${GIVEN}", index: 0 } } }
  - IfThenElse:
      if: { IsEmpty: { GetEntry: { key: lang } } }
      then: [ { SetValue: { object: { var: Context.User }, field: language, value: en } } ]
      else: [ { SetValue: { object: { var: Context.User }, field: language, value: { GetEntry: { key: lang, index: 0 } } } } ]
  - SaveInstance: { object: { var: Context.User } }
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${OFFICE}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${GROUP}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${GROUP}" }
`;

const context: RunContext = {
  claims: { [SURNAME]: ['Lovelace'], [GIVEN]: ['Ada'], lang: ['de'], extRole: ['admin'] },
  user: { id: 'u-1', login: 'ada', firstName: '', lastName: '', email: 'ada@example.test', phone: '', language: 'en', enabled: true, isAdmin: false },
  userId: 'u-1',
};

/** The same logic by hand: what a developer would write without a script engine. */
function plainTypeScript(input: RunContext): Effect[] {
  const user = { ...input.user };
  const first = (key: string) => input.claims[key]?.[0] ?? '';
  user.lastName = first(SURNAME);
  user.firstName = first(GIVEN);
  user.language = (input.claims.lang ?? []).length === 0 ? 'en' : first('lang');
  const changes: Record<string, string | boolean> = {};
  for (const key of Object.keys(user)) if (user[key] !== input.user[key]) changes[key] = user[key]!;
  const effects: Effect[] = Object.keys(changes).length ? [{ kind: 'saveUser', changes }] : [];
  if (first('extRole') === 'admin') {
    effects.push({ kind: 'addToOffice', userId: input.userId, officeId: OFFICE }, { kind: 'addToGroup', userId: input.userId, groupId: GROUP });
  } else effects.push({ kind: 'removeFromGroup', userId: input.userId, groupId: GROUP });
  return effects;
}

function measure(label: string, fn: () => unknown, iterations: number, rounds = 7): { label: string; nsPerOp: number } {
  for (let i = 0; i < iterations; i++) fn(); // warm-up: let the JIT settle
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  return { label, nsPerOp: samples[Math.floor(samples.length / 2)]! };
}

const compiled = compileScript(SOURCE);
if (!compiled.ok) throw new Error(`benchmark script does not compile: ${JSON.stringify(compiled.errors)}`);
const program = compiled.program;
const engineEffects = runProgram(program, context).effects;
const plainEffects = plainTypeScript(context);
if (JSON.stringify(engineEffects) !== JSON.stringify(plainEffects)) throw new Error(`the two implementations disagree:\n${JSON.stringify(engineEffects)}\n${JSON.stringify(plainEffects)}`);

const engine = measure('engine: runProgram (compiled program cached)', () => runProgram(program, context), 20_000);
const plain = measure('plain TypeScript, same logic', () => plainTypeScript(context), 200_000);
const compile = measure('compileScript (on save only, for reference)', () => compileScript(SOURCE), 500);
const traced = measure('engine with dry-run trace (designer test run)', () => runProgram(program, context, { dryRun: true }), 20_000);
const ratio = engine.nsPerOp / plain.nsPerOp;

const rows = [engine, plain, traced, compile].map((r) => `| ${r.label} | ${(r.nsPerOp / 1000).toFixed(2)} µs |`).join('\n');
const report = `# Sign-in script engine benchmark

Written by \`npm run bench -- script-engine\` (\`bench/script-engine.ts\`) on ${new Date().toISOString()} with Node ${process.version}.
A typical 10-action script (names from claims, a language default, a save, role-based office and group
membership) compiled once, run repeatedly; median of 7 rounds after a warm-up. Both implementations return the
same effects (checked before timing).

| What | Time per run |
| --- | ---: |
${rows}

| Ratio | Value | Target | Met |
| --- | ---: | ---: | --- |
| engine / plain TypeScript | ${ratio.toFixed(1)}x | ≤ 10x | ${ratio <= 10 ? 'yes' : '**no**'} |
| engine run time | ${(engine.nsPerOp / 1000).toFixed(2)} µs | tens of µs | ${engine.nsPerOp < 100_000 ? 'yes' : '**no**'} |
`;
writeFileSync(join(REPO_ROOT, 'bench/results/script-engine.md'), report);
console.log(report);
