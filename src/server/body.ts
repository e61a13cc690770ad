// Reading a request body within a size limit: the declared length first, then counted as it arrives.
import type { Context } from 'hono';

/** The body as text, or 'too-large' (the rest is not read) past `max` bytes. */
export async function readBody(c: Context, max: number): Promise<string | 'too-large'> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > max) return 'too-large';
  const body = c.req.raw.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return 'too-large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
