// A small, forgiving XML reader (elements, attributes, text, namespaces) for OPF packages and XMP packets.

/** An element with its namespace-resolved name (`{uri}local`), attributes (prefixed ones resolved the same way). */
export interface XmlElement {
  name: string;
  local: string;
  ns: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE(?:[^>[]|\[[\s\S]*?\])*>|<\/([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITY = /&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi;
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export function decodeEntities(s: string): string {
  return s.replace(ENTITY, (m, e: string) => {
    const k = e.toLowerCase();
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'amp') return '&';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const code = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
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

/**
 * Parses XML into a tree under a synthetic root. Mismatched end tags close up to the matching open element;
 * unclosed elements are closed at the end: a damaged document yields what could be read.
 */
export function parseXml(src: string): XmlElement {
  const root: XmlElement = { name: '', local: '', ns: '', attrs: {}, children: [], text: '' };
  const stack: Array<{ el: XmlElement; qname: string; scope: Map<string, string> }> = [
    { el: root, qname: '', scope: new Map([['xml', XML_NS]]) },
  ];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = TOKEN.exec(src))) {
    const top = stack[stack.length - 1];
    if (m[1] !== undefined) top.el.text += m[1];
    else if (m[6] !== undefined) top.el.text += decodeEntities(m[6]);
    else if (m[7] !== undefined) top.el.text += '<';
    else if (m[2] !== undefined) {
      for (let i = stack.length - 1; i > 0; i--) {
        if (stack[i].qname === m[2]) {
          stack.length = i;
          break;
        }
      }
    } else if (m[3] !== undefined) {
      const scope = new Map(top.scope);
      const raw: Array<[string, string]> = [];
      ATTR.lastIndex = 0;
      let a: RegExpExecArray | null;
      while ((a = ATTR.exec(m[4] ?? ''))) {
        const value = decodeEntities(a[2] ?? a[3] ?? '');
        if (a[1] === 'xmlns') scope.set('', value);
        else if (a[1].startsWith('xmlns:')) scope.set(a[1].slice(6), value);
        else raw.push([a[1], value]);
      }
      const [prefix, local] = split(m[3]);
      const ns = scope.get(prefix) ?? (prefix ? prefix + ':' : '');
      const attrs: Record<string, string> = {};
      for (const [qn, v] of raw) {
        const [p, l] = split(qn);
        attrs[p ? `{${scope.get(p) ?? p + ':'}}${l}` : l] = v;
      }
      const el: XmlElement = { name: `{${ns}}${local}`, local, ns, attrs, children: [], text: '' };
      top.el.children.push(el);
      if (m[5] !== '/') stack.push({ el, qname: m[3], scope });
    }
  }
  return root;
}

function split(qname: string): [string, string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
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
