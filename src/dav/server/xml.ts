// Request XML read with saxes into a small element tree (namespaces resolved; no DTD, so no entity expansion), and the few writers a multistatus needs.
import { SaxesParser } from 'saxes';
import { FailureError } from '../../base/index.js';

export const NS = { dav: 'DAV:', cal: 'urn:ietf:params:xml:ns:caldav', card: 'urn:ietf:params:xml:ns:carddav', cs: 'http://calendarserver.org/ns/', ical: 'http://apple.com/ns/ical/' } as const;

/** A bad request body: answered 400 (or 413 for a body too large). */
export class DavRequestError extends FailureError {
  override name = 'DavRequestError';
  constructor(message: string, readonly status = 400, readonly precondition?: { ns: string; name: string }) {
    super(message);
  }
}

export interface XmlElement {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export interface XmlLimits {
  maxDepth: number;
  maxElements: number;
}

const LIMITS: XmlLimits = { maxDepth: 32, maxElements: 20_000 };

/** Parses a request body. A DOCTYPE (entity declarations: the XML bomb) is refused, as is anything malformed or over the limits. */
export function parseXml(text: string, limits: XmlLimits = LIMITS): XmlElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let failure: Error | undefined;
  const fail = (msg: string) => {
    failure ??= new DavRequestError(msg);
  };
  parser.on('doctype', () => fail('a DOCTYPE is not accepted in a request body'));
  parser.on('error', (e) => fail(`malformed XML: ${e.message}`));
  parser.on('opentag', (t) => {
    if (++count > limits.maxElements) return fail(`more than ${limits.maxElements} XML elements`);
    if (stack.length >= limits.maxDepth) return fail(`XML nested deeper than ${limits.maxDepth}`);
    const attrs: Record<string, string> = {};
    for (const a of Object.values(t.attributes)) if (!a.prefix || a.prefix !== 'xmlns') attrs[a.local] = a.value;
    const el: XmlElement = { ns: t.uri ?? '', name: t.local ?? t.name, attrs, children: [], text: '' };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else root ??= el;
    stack.push(el);
  });
  parser.on('text', (s) => {
    if (stack.length) stack[stack.length - 1].text += s;
  });
  parser.on('cdata', (s) => {
    if (stack.length) stack[stack.length - 1].text += s;
  });
  parser.on('closetag', () => void stack.pop());
  try {
    parser.write(text).close();
  } catch (err) {
    fail(`malformed XML: ${(err as Error).message}`);
  }
  if (failure) throw failure;
  if (!root) throw new DavRequestError('empty XML body');
  return root;
}

export const child = (el: XmlElement | undefined, ns: string, name: string) => el?.children.find((c) => c.ns === ns && c.name === name);
export const children = (el: XmlElement | undefined, ns: string, name: string) => el?.children.filter((c) => c.ns === ns && c.name === name) ?? [];
export const is = (el: XmlElement | undefined, ns: string, name: string) => !!el && el.ns === ns && el.name === name;

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

const PREFIX: Record<string, string> = { [NS.dav]: 'd', [NS.cal]: 'c', [NS.card]: 'a', [NS.cs]: 'cs', [NS.ical]: 'ic' };

/** An element name as written: our prefix for known namespaces, else a local xmlns declaration. */
export function tag(ns: string, name: string): { open: string; close: string; empty: string } {
  const p = PREFIX[ns];
  if (p) return { open: `<${p}:${name}>`, close: `</${p}:${name}>`, empty: `<${p}:${name}/>` };
  const decl = ns ? ` xmlns:x="${esc(ns)}"` : '';
  const n = ns ? `x:${name}` : name;
  return { open: `<${n}${decl}>`, close: `</${n}>`, empty: `<${n}${decl}/>` };
}

export function el(ns: string, name: string, inner?: string): string {
  const t = tag(ns, name);
  return inner === undefined || inner === '' ? t.empty : t.open + inner + t.close;
}

export const HEADER = '<?xml version="1.0" encoding="utf-8"?>\n';
export const ROOT_NS = Object.entries(PREFIX)
  .map(([ns, p]) => ` xmlns:${p}="${ns}"`)
  .join('');

export function multistatus(responses: string[], extra = ''): string {
  return `${HEADER}<d:multistatus${ROOT_NS}>${responses.join('')}${extra}</d:multistatus>`;
}

/** An error body with one precondition element (RFC 4918 §16). */
export function errorBody(ns: string, name: string): string {
  return `${HEADER}<d:error${ROOT_NS}>${el(ns, name)}</d:error>`;
}
