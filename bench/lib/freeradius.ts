/**
 * FreeRADIUS with rlm_totp as the peer: a minimal config written at run time (one virtual server on a loopback
 * port; `files` sets &control:TOTP-Secret per user; `authenticate { totp }`), run in the foreground with `-f -d`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runRadiusLoad } from './radius-client';
import { stopChild, tail } from './worker';
import { run } from './wrk';

export interface RadiusUser {
  login: string;
  secretBase32: string;
}

export interface FreeRadiusServer {
  host: string;
  port: number;
  secret: string;
  configDir: string;
  stop(): Promise<void>;
}

export function writeFreeRadiusConfig(dir: string, options: { port: number; secret: string; users: RadiusUser[] }): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'log'), { recursive: true });
  // radiusd reads <confdir>/dictionary for local attributes; ours adds none.
  writeFileSync(join(dir, 'dictionary'), '');
  writeFileSync(join(dir, 'users'), options.users.map((u) => `${u.login} TOTP-Secret := "${u.secretBase32}"`).join('\n') + '\n');
  writeFileSync(
    join(dir, 'radiusd.conf'),
    `# Written by bench/lib/freeradius.ts for one benchmark run.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
libdir = /usr/lib/freeradius
raddbdir = ${dir}
confdir = \${raddbdir}
logdir = ${dir}/log
run_dir = ${dir}/run
db_dir = \${raddbdir}
name = radiusd
pidfile = \${run_dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 65536
hostname_lookups = no
log {
  destination = stderr
  auth = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
# The packaged defaults (/etc/freeradius/3.0/radiusd.conf).
thread pool {
  start_servers = 5
  max_servers = 32
  min_spare_servers = 3
  max_spare_servers = 10
  max_requests_per_server = 0
}
client loopback {
  ipaddr = 127.0.0.1
  secret = ${options.secret}
  require_message_authenticator = no
}
modules {
  totp {
  }
  files {
    filename = \${confdir}/users
  }
}
server bench {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${options.port}
  }
  authorize {
    # Sets &control:TOTP-Secret for the user (as sites-available/totp's comment asks of ldap/sql).
    files
    # The whole User-Password is the 6-digit code (no password prefix in this benchmark).
    update request {
      &TOTP-Password := &User-Password
    }
    update control {
      &Auth-Type := totp
    }
  }
  authenticate {
    Auth-Type totp {
      totp
    }
  }
}
`,
  );
}

export async function startFreeRadius(
  dir: string,
  options: { port: number; secret: string; probe: { userName: string; password: string } },
): Promise<FreeRadiusServer> {
  const child: ChildProcess = spawn('freeradius', ['-f', '-d', dir, '-n', 'radiusd'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`freeradius exited (${child.exitCode}):\n${tail(output, 30)}`);
    const probe = await runRadiusLoad({
      host: '127.0.0.1',
      port: options.port,
      secret: options.secret,
      requests: [options.probe],
      concurrency: 1,
      durationMs: 1000,
      maxRequests: 1,
      timeoutMs: 300,
    });
    if (probe.accepted + probe.rejected > 0) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`freeradius did not answer on 127.0.0.1:${options.port}:\n${tail(output, 30)}`);
    }
  }
  return { host: '127.0.0.1', port: options.port, secret: options.secret, configDir: dir, stop: () => stopChild(child) };
}

export interface RadclientResult {
  requests: number;
  accepted: number;
  rejected: number;
  lost: number;
  durationMs: number;
  requestsPerSecond: number;
}

/** `radclient -f file -c count -p parallel`, timed as a whole; the counts come from its `-s` summary. */
export async function runRadclient(
  server: FreeRadiusServer,
  options: { requestsFile: string; count: number; parallel: number },
): Promise<RadclientResult> {
  const started = process.hrtime.bigint();
  const { stdout, stderr } = await run('radclient', [
    '-q',
    '-s',
    '-f',
    options.requestsFile,
    '-c',
    String(options.count),
    '-p',
    String(options.parallel),
    '-r',
    '1',
    '-t',
    '5',
    `${server.host}:${server.port}`,
    'auth',
    server.secret,
  ]);
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  const text = stdout + stderr;
  const count = (label: string) => Number(new RegExp(`${label}\\s*:\\s*(\\d+)`).exec(text)?.[1] ?? NaN);
  const accepted = count('Accepted');
  const rejected = count('Rejected');
  const lost = count('Lost');
  // radclient exits non-zero when any answer was a reject; the summary is what we read.
  if (Number.isNaN(accepted)) throw new Error(`radclient printed no summary:\n${tail(text, 30)}`);
  const requests = accepted + rejected + lost;
  return { requests, accepted, rejected, lost, durationMs, requestsPerSecond: (accepted + rejected) / (durationMs / 1000) };
}

/** A UDP port on 127.0.0.1 that nothing is bound to right now. */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  return new Promise((resolvePort, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolvePort(port));
    });
  });
}
