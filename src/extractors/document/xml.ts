// Office metadata XML (ODF meta.xml, OOXML core.xml / app.xml) read with saxes: the text of elements by namespace.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { FailureError } from '../../base/index.js';

/** More elements than this in a metadata member is not metadata: refused. */
const MAX_ELEMENTS = 100_000;

/** One element of interest: its namespace, local name, attributes (`{ns}local` → value) and text. */
export interface MetaElement {
  ns: string;
  local: string;
  attrs: Record<string, string>;
  text: string;
}

/** Malformed or oversized metadata XML. */
export class OfficeXmlError extends FailureError {
  override name = 'OfficeXmlError';
}

/**
 * The elements of `xml` whose depth is `depth` or more (the root is depth 0), in document order, each with its
 * own text (children's text not included). Entities beyond the five XML ones are not expanded (saxes reads no DTD).
 */
export function metaElements(xml: string, member: string): MetaElement[] {
  const out: MetaElement[] = [];
  const stack: MetaElement[] = [];
  const parser = new SaxesParser({ xmlns: true, position: false });
  let count = 0;
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++count > MAX_ELEMENTS) throw new OfficeXmlError(`${member}: more than ${MAX_ELEMENTS} elements`);
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) attrs[`{${a.uri}}${a.local}`] = a.value;
    const el: MetaElement = { ns: tag.uri, local: tag.local, attrs, text: '' };
    stack.push(el);
    out.push(el);
  });
  parser.on('text', (t: string) => {
    const top = stack[stack.length - 1];
    if (top && top.text.length < 65_536) top.text += t;
  });
  parser.on('cdata', (t: string) => {
    const top = stack[stack.length - 1];
    if (top && top.text.length < 65_536) top.text += t;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(xml.replace(/^\uFEFF/, '')).close();
  } catch (e) {
    if (e instanceof OfficeXmlError) throw e;
    throw new OfficeXmlError(`${member} is not well-formed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}
