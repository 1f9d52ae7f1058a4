/** Runs wrk with bench/otp.lua and reads back the one-line JSON summary its done() prints. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LUA_SCRIPT = fileURLToPath(new URL('../otp.lua', import.meta.url));

export interface LoadResult {
  requests: number;
  durationUs: number;
  requestsPerSecond: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** 2xx answers. */
  ok: number;
  /** {"accepted":true} answers (POST mode only). */
  accepted: number;
  /** Times a thread ran out of prepared bodies and started again (those requests are replays). */
  wraps: number;
  reasons: Record<string, number>;
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSeconds: number;
  /** POST mode: a file of JSON bodies, one a line, each sent at most once while the file lasts. */
  bodiesFile?: string;
  bearerToken?: string;
}

export async function runWrk(options: WrkOptions): Promise<LoadResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--timeout',
    '10s',
    '-s',
    LUA_SCRIPT,
    options.url,
  ];
  if (options.bodiesFile) args.push('--', options.bodiesFile, options.bearerToken ?? '', String(options.threads));
  const { stdout, stderr, code } = await run('wrk', args);
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${stdout}\n${stderr}`);
  const parsed = JSON.parse(line.slice('WRK_RESULT '.length)) as Omit<LoadResult, 'requestsPerSecond'>;
  return { ...parsed, requestsPerSecond: parsed.requests / (parsed.durationUs / 1e6) };
}

export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}
