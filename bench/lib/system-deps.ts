/**
 * The Debian tools the benchmarks drive. Like scripts/system-deps.mjs: missing ones are installed with apt-get
 * when we can (root, or passwordless sudo); otherwise the error says exactly what is missing and how to get it.
 */
import { spawnSync } from 'node:child_process';

const has = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;

/** `binaries` maps a program on PATH (or an absolute file) to the Debian package that provides it. */
export function ensureDebianTools(binaries: Record<string, string>): void {
  const missing = [
    ...new Set(
      Object.entries(binaries)
        .filter(([binary]) => (binary.startsWith('/') ? spawnSync('test', ['-e', binary]).status !== 0 : !has(binary)))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo'] : null;
  if (!sudo || !has('apt-get')) {
    throw new Error(
      `Missing Debian packages for the benchmark: ${missing.join(' ')}\nInstall them with: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  console.log(`Installing Debian packages the benchmark needs: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const [command, ...rest] = [...sudo, 'apt-get', ...args];
    const result = spawnSync(command!, rest, { stdio: 'inherit', env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}
