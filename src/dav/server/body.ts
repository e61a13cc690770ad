// A request body read with a size limit (refused with 413 before it is all read).
import { readBoundedBody } from '../../base/index.js';
import { DavRequestError, parseXml, type XmlElement } from './xml.js';

/** The body as text, refused past `limit` bytes (413) before it is all read. */
export async function bodyText(req: Request, limit: number): Promise<string> {
  const text = await readBoundedBody(req, limit);
  if (text === undefined) throw new DavRequestError(`request body over ${limit} bytes`, 413);
  return text;
}

/** The body as an XML element tree; undefined for an empty body. */
export async function xmlBody(req: Request, limit: number): Promise<XmlElement | undefined> {
  const text = await bodyText(req, limit);
  return text.trim() ? parseXml(text) : undefined;
}
