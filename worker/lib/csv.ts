/** CSV for the admin exports: quoted cells safe to open in a spreadsheet, streamed chunk by chunk. */

export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  // Quote always; neutralise spreadsheet formulas (CSV injection) by prefixing a quote to leading = + - @.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(',');
}

/**
 * A CSV body read in chunks: `readChunk(cursor)` returns the lines after `cursor` and the cursor of the next
 * chunk (null when done). Each chunk is read only when the client has taken the previous one, so an export of
 * any size holds one chunk in memory.
 */
export function csvStream<Cursor>(header: string, readChunk: (after: Cursor | null) => Promise<{ lines: string[]; next: Cursor | null }>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: Cursor | null = null;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(header + '\r\n'));
        return;
      }
      const chunk = await readChunk(cursor);
      if (chunk.lines.length > 0) controller.enqueue(encoder.encode(chunk.lines.join('\r\n') + '\r\n'));
      if (chunk.next === null) controller.close();
      else cursor = chunk.next;
    },
  });
}

export function csvResponse(body: ReadableStream<Uint8Array> | string, fileName: string): Response {
  return new Response(body, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${fileName}"` } });
}
