// Reading a request body within a size limit: the declared length first, then counted as it arrives.
import type { Context } from 'hono';
import { readBoundedBody } from '../base/index.js';

/** The body as text, or 'too-large' (the rest is not read) past `max` bytes. */
export async function readBody(c: Context, max: number): Promise<string | 'too-large'> {
  return (await readBoundedBody(c.req.raw, max)) ?? 'too-large';
}
