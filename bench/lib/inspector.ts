/**
 * V8's sampling profiler on every isolate of one workerd process, through workerd's inspector (Chrome DevTools
 * Protocol): bench/cpu.ts prices each kind of request with it, bench/verify-profile.ts finds where a warm verify's
 * CPU goes. V8 samples an isolate only while it is entered (its JavaScript and the native work it calls), so the
 * isolates' samples split the process's CPU between them; what runs in no isolate (sockets, HTTP parsing) is in none.
 */

/** One Chrome DevTools Protocol session with one of workerd's isolates. */
export class Inspector {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data));
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`inspector: ${JSON.stringify(message.error)}`));
      else waiter.resolve(message.result);
    });
  }

  /**
   * A session with every isolate workerd lists that accepts one, by target id. Miniflare's proxies to Node
   * (the ASSETS stand-in here) list a target but refuse the session; they run none of the measured requests.
   */
  static async connectAll(port: number): Promise<{ sessions: Map<string, Inspector>; refused: string[] }> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>;
    const sessions = new Map<string, Inspector>();
    const refused: string[] = [];
    for (const target of targets) {
      // Some of Miniflare's internal isolates have a '#' in their name, which a WebSocket URL may not carry raw.
      const socket = new WebSocket(target.webSocketDebuggerUrl.replaceAll('#', '%23'));
      const opened = await new Promise<boolean>((resolve) => {
        socket.addEventListener('open', () => resolve(true), { once: true });
        socket.addEventListener('error', () => resolve(false), { once: true });
      });
      if (opened) sessions.set(target.id, new Inspector(socket));
      else refused.push(target.id);
    }
    return { sessions, refused };
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Where a sampled function is: its script's URL and its 0-based line (-1 for native code without a script). */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
}

/** Enables the profiler of every session at one sampling interval. */
export async function enableSampling(sessions: Map<string, Inspector>, intervalUs: number): Promise<void> {
  for (const inspector of sessions.values()) {
    await inspector.send('Profiler.enable');
    await inspector.send('Profiler.setSamplingInterval', { interval: intervalUs });
  }
}

/** Every session's profile of the time `run` takes, by target id. */
export async function profileAll(sessions: Map<string, Inspector>, run: () => Promise<unknown>): Promise<Map<string, CpuProfile>> {
  await Promise.all([...sessions.values()].map((i) => i.send('Profiler.start')));
  await run();
  const profiles = new Map<string, CpuProfile>();
  await Promise.all([...sessions].map(async ([id, i]) => profiles.set(id, (await i.send('Profiler.stop')).profile)));
  return profiles;
}

/** The name a function's self samples are counted under by default: its own, or (anonymous). */
export const functionNameOf = (frame: CallFrame): string => frame.functionName || '(anonymous)';

/** Non-idle samples of a profile, and by function (self time), each function named by `keyOf`. */
export function busySamples(profile: CpuProfile, keyOf: (frame: CallFrame) => string = functionNameOf): { count: number; byFunction: Map<string, number> } {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = frames.get(id)!;
    if (frame.functionName === '(idle)') continue;
    busy++;
    const key = keyOf(frame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
  }
  return { count: busy, byFunction };
}
