// `npm run bench`: runs every benchmark in bench/ one after another (they share a 2-core machine: never in
// parallel), goes on past a failing one, and exits non-zero at the end if any failed.
//
//   npm run bench                 all of them
//   npm run bench -- otp saml     only those named
//
// To add a benchmark, add one entry to BENCHMARKS: `file` is what must exist for it to run (a benchmark whose file
// is not there yet is reported as missing, not run), `command` the argv to run from the repository root.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const BENCHMARKS = [
  { name: 'otp', file: 'bench/otp.ts', command: ['npx', 'tsx', 'bench/otp.ts'], results: 'bench/results/otp.md' },
  { name: 'verify-profile', file: 'bench/verify-profile.ts', command: ['npx', 'tsx', 'bench/verify-profile.ts'], results: 'bench/results/verify-profile.md' },
  { name: 'script-engine', file: 'bench/script-engine.ts', command: ['npx', 'tsx', 'bench/script-engine.ts'], results: 'bench/results/script-engine.md' },
  { name: 'saml', file: 'bench/saml.ts', command: ['npx', 'tsx', 'bench/saml.ts'], results: 'bench/results/saml.md' },
  { name: 'portal', file: 'bench/portal.ts', command: ['npx', 'tsx', 'bench/portal.ts'], results: 'bench/results/portal.md' },
  { name: 'cpu', file: 'bench/cpu.ts', command: ['npx', 'tsx', 'bench/cpu.ts'], results: 'bench/results/cpu.md' },
  { name: 'scale', file: 'bench/scale.ts', command: ['npx', 'tsx', 'bench/scale.ts'], results: 'bench/results/scale.md' },
];

const selected = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = selected.filter((name) => !BENCHMARKS.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const outcomes = [];
for (const bench of BENCHMARKS) {
  if (selected.length > 0 && !selected.includes(bench.name)) continue;
  if (!existsSync(join(ROOT, bench.file))) {
    outcomes.push({ name: bench.name, status: 'missing', detail: `${bench.file} does not exist yet` });
    continue;
  }
  console.log(`\n=== bench ${bench.name}: ${bench.command.join(' ')}`);
  const startedMs = Date.now();
  const result = spawnSync(bench.command[0], bench.command.slice(1), { cwd: ROOT, stdio: 'inherit' });
  const seconds = ((Date.now() - startedMs) / 1000).toFixed(0);
  const failed = result.status !== 0 || result.error;
  outcomes.push({
    name: bench.name,
    status: failed ? 'FAILED' : 'ok',
    detail: failed
      ? `${result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit ${result.status}`} after ${seconds} s`
      : `${seconds} s${bench.results ? `, results in ${bench.results}` : ''}`,
  });
}

console.log('\n=== benchmarks');
for (const outcome of outcomes) console.log(`${outcome.status.padEnd(8)} ${outcome.name.padEnd(16)} ${outcome.detail}`);
const failedCount = outcomes.filter((o) => o.status === 'FAILED').length;
if (failedCount > 0) {
  console.log(`${failedCount} benchmark(s) failed`);
  process.exit(1);
}
