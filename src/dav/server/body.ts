// A request body read with a size limit (refused with 413 before it is all read).
import { DavRequestError, parseXml, type XmlElement } from './xml.js';

/** The body as text, refused past `limit` bytes (413) before it is all read. */
export async function bodyText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > limit) throw new DavRequestError(`request body over ${limit} bytes`, 413);
  if (!req.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new DavRequestError(`request body over ${limit} bytes`, 413);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/** The body as an XML element tree; undefined for an empty body. */
export async function xmlBody(req: Request, limit: number): Promise<XmlElement | undefined> {
  const text = await bodyText(req, limit);
  return text.trim() ? parseXml(text) : undefined;
}
