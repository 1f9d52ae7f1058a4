/**
 * The limit row of bench/otp.ts: a Worker on the same Miniflare + on-disk D1 setup as the verify API that does
 * exactly one conditional D1 write per request and nothing else. Replay protection needs one durable conditional
 * write per verify, so this, not the bare endpoint, is what a verify can at best approach. bench/verify-profile.ts
 * runs the same Worker beside the verify API's in one Miniflare (d1WriteProbeWorker, fillProbeTable).
 */
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { freePort, type ServedWorker } from './lib/worker';

/** The probe Worker's own Miniflare options (v4 shape): its script and its D1 binding `DB`. */
export function d1WriteProbeWorker(options: { compatibilityDate: string; rows: number }) {
  return {
    modules: true,
    compatibilityDate: options.compatibilityDate,
    d1Databases: { DB: 'd1-write-probe' },
    // The condition stands for the verify's "the code is still ahead of the token": it always holds here, so every
    // request writes (and says whether its write happened, as the verify's consume does).
    script: `export default {
  async fetch(request, env) {
    const key = 'k' + Math.floor(Math.random() * ${options.rows});
    const result = await env.DB.prepare('UPDATE probe SET v = v + 1 WHERE k = ? AND v >= 0').bind(key).run();
    return Response.json({ ok: result.meta.changes === 1 });
  },
};`,
  };
}

/** The probe's table, made afresh with `rows` rows for the script's keys. */
export async function fillProbeTable(db: D1Database, rows: number): Promise<void> {
  await db.batch([db.prepare('DROP TABLE IF EXISTS probe'), db.prepare('CREATE TABLE probe (k TEXT PRIMARY KEY, v INTEGER NOT NULL)')]);
  const inserts = Array.from({ length: rows }, (_, i) => db.prepare('INSERT INTO probe (k, v) VALUES (?, 0)').bind(`k${i}`));
  for (let i = 0; i < inserts.length; i += 500) await db.batch(inserts.slice(i, i + 500));
}

export async function startD1WriteProbe(options: { persistDir: string; compatibilityDate: string; rows: number }): Promise<ServedWorker> {
  const directPort = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: await freePort(),
      resourcePersistencePath: options.persistDir,
      unsafeDirectSockets: [{ host: '127.0.0.1', port: directPort }],
      ...d1WriteProbeWorker(options),
    }),
  );
  await mf.ready;
  await fillProbeTable((await mf.getD1Database('DB')) as unknown as D1Database, options.rows);
  const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, '');
  return { url, stop: () => mf.dispose() };
}
