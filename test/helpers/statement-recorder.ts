/**
 * Records the SQL a handler runs before it answers, for enumeration tests: a real login and an unknown one must run
 * the same statements before the answer, or a stopwatch tells them apart. Work handed to `defer` (what runs after
 * the answer, like a code's send) is awaited after the step and not recorded.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { Env } from '../../worker/env';

export interface StepRecord<T> {
  result: T | null;
  /** The error code the step threw, or null. */
  error: string | null;
  /** The statements it prepared before answering, whitespace folded. */
  statements: string[];
}

export function statementRecorder() {
  const statements: string[] = [];
  let recording = false;
  const db = new Proxy(env.DB, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          if (recording) statements.push(sql.replace(/\s+/g, ' ').trim());
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const later: Promise<unknown>[] = [];
  // How many statements the step had run when it handed work over: work handed over earlier could start while
  // the step still waits on a statement, and the answer would wait behind it.
  const handovers: number[] = [];
  return {
    env: { ...env, DB: db } as Env,
    defer(work: Promise<unknown>) {
      if (recording) handovers.push(statements.length);
      later.push(work);
    },
    /** Runs one step with recording on; requires every hand-over to come after the step's last statement. */
    async step<T>(run: () => Promise<T>): Promise<StepRecord<T>> {
      recording = true;
      const outcome = await run().then(
        (result) => ({ result, error: null }),
        (error: { code?: string }) => ({ result: null, error: error.code ?? String(error) }),
      );
      recording = false;
      const handedOverAt = handovers.splice(0);
      expect(handedOverAt).toEqual(handedOverAt.map(() => statements.length));
      await Promise.all(later.splice(0));
      return { ...outcome, statements: statements.splice(0) };
    },
  };
}
