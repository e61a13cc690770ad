// The extractors' one XML reader, on saxes: a namespace-resolved tree (OPF, container.xml, XMP, office metadata), bounded.
// saxes reads no DTD: no entity beyond the five XML ones and character references is ever expanded.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { FailureError } from '../base/index.js';

/** An element with its namespace-resolved name (`{uri}local`), attributes (prefixed ones resolved the same way). */
export interface XmlElement {
  name: string;
  local: string;
  ns: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (its children's not included). */
  text: string;
}

/** More characters than this is not a document we read metadata from. */
export const MAX_XML_CHARS = 16 * 1024 * 1024;
/** Deeper nesting than this is refused (our metadata is a few levels deep; the tree walks recurse). */
export const MAX_XML_DEPTH = 256;
/** More elements than this is refused (an OPF lists each file of the book twice; office metadata has dozens). */
export const MAX_XML_ELEMENTS = 200_000;

/** XML that breaks a bound, or (read strictly) is not well-formed; the message names the member or packet. */
export class XmlReadError extends FailureError {
  override name = 'XmlReadError';
}

export interface XmlReadOptions {
  /** Stop at the first well-formedness error (office metadata), instead of reading past it (OPF, XMP). */
  strict?: boolean;
  /** Where problems worth telling are added (an entity declared in a DOCTYPE, which is never expanded). */
  problems?: string[];
  maxElements?: number;
  /** Stop adding text to an element once it holds this many characters. */
  maxText?: number;
}

/** Decodes bytes as XML text: UTF-16 by BOM, else UTF-8. */
export function xmlText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return b.toString('utf8').replace(/^\uFEFF/, '');
}

function element(tag: SaxesTagNS): XmlElement {
  // An unbound prefix resolves to `prefix:` (saxes gives the bare prefix), so it never matches a real namespace.
  const ns = tag.prefix !== '' && tag.uri === tag.prefix ? `${tag.prefix}:` : tag.uri;
  const attrs: Record<string, string> = {};
  for (const a of Object.values(tag.attributes)) {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
    if (a.prefix === '') attrs[a.local] = a.value;
    else attrs[`{${a.uri === a.prefix ? `${a.prefix}:` : a.uri}}${a.local}`] = a.value;
  }
  return { name: `{${ns}}${tag.local}`, local: tag.local, ns, attrs, children: [], text: '' };
}

/**
 * Parses XML into a tree under a synthetic root. Read leniently (the default), a mismatched end tag closes up to
 * the matching open element and unclosed elements are closed at the end: a damaged document yields what could be
 * read. Size, depth and element count are bounded either way ({@link XmlReadError} naming `member`).
 */
export function parseXml(src: string, member = 'XML', opts: XmlReadOptions = {}): XmlElement {
  if (src.length > MAX_XML_CHARS) throw new XmlReadError(`${member} is ${src.length} characters of XML (more than ${MAX_XML_CHARS}): refused`);
  const root: XmlElement = { name: '', local: '', ns: '', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const maxElements = opts.maxElements ?? MAX_XML_ELEMENTS;
  const maxText = opts.maxText ?? Infinity;
  const parser = new SaxesParser({ xmlns: true, position: false });
  let count = 0;
  parser.on('error', (e) => {
    if (opts.strict) throw new XmlReadError(`${member} is not well-formed XML: ${e.message}`);
  });
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/i.test(doctype)) opts.problems?.push(`${member} declares entities in its DOCTYPE: not expanded (a billion laughs?)`);
  });
  parser.on('opentag', (tag) => {
    if (++count > maxElements) throw new XmlReadError(`${member} has more than ${maxElements} elements: refused`);
    if (stack.length > MAX_XML_DEPTH) throw new XmlReadError(`${member} nests elements more than ${MAX_XML_DEPTH} deep: refused`);
    const el = element(tag);
    stack[stack.length - 1].children.push(el);
    stack.push(el);
  });
  const addText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top.text.length < maxText) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    if (stack.length > 1) stack.pop();
  });
  try {
    parser.write(src.replace(/^\uFEFF/, '')).close();
  } catch (e) {
    if (e instanceof XmlReadError) throw e;
    throw new XmlReadError(`${member} cannot be read as XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  return root;
}

/** All descendants (depth first) matching a predicate. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (pred(c)) out.push(c);
    findAll(c, pred, out);
  }
  return out;
}

/** The text of an element and its descendants. */
export function allText(el: XmlElement): string {
  return el.text + el.children.map(allText).join('');
}
