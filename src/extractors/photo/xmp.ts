// Reads an XMP packet into `prefix:name` → values, for the namespaces photos use (dc, xmp, photoshop, exif, tiff).
import { findAll, parseXml, type XmlElement } from '../xml.js';

const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const PREFIX: Record<string, string> = {
  'http://purl.org/dc/elements/1.1/': 'dc',
  'http://ns.adobe.com/xap/1.0/': 'xmp',
  'http://ns.adobe.com/photoshop/1.0/': 'photoshop',
  'http://ns.adobe.com/exif/1.0/': 'exif',
  'http://cipa.jp/exif/1.0/': 'exifEX',
  'http://ns.adobe.com/tiff/1.0/': 'tiff',
  'http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/': 'Iptc4xmpCore',
};

function key(ns: string, local: string): string | undefined {
  const p = PREFIX[ns];
  return p ? `${p}:${local}` : undefined;
}

function values(el: XmlElement): string[] {
  const container = el.children.find((c) => c.ns === RDF_NS && (c.local === 'Alt' || c.local === 'Seq' || c.local === 'Bag'));
  if (container) {
    const items = container.children.filter((c) => c.ns === RDF_NS && c.local === 'li');
    if (container.local === 'Alt') {
      const lang = (c: XmlElement) => c.attrs[`{http://www.w3.org/XML/1998/namespace}lang`];
      items.sort((a, b) => Number(lang(b) === 'x-default') - Number(lang(a) === 'x-default'));
    }
    return items.map((c) => c.text);
  }
  if (el.children.length > 0 || el.attrs[`{${RDF_NS}}resource`] !== undefined) return [];
  return [el.text];
}

/** The simple properties of every rdf:Description, in document order; lists and language alternatives flattened (x-default first). */
export function readXmp(xml: string, problems?: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const push = (k: string | undefined, vs: string[]) => {
    if (!k) return;
    const list = out.get(k) ?? [];
    list.push(...vs.filter((v) => v.trim() !== ''));
    out.set(k, list);
  };
  const root = parseXml(xml, 'XMP packet', { problems });
  for (const desc of findAll(root, (e) => e.ns === RDF_NS && e.local === 'Description')) {
    for (const [name, v] of Object.entries(desc.attrs)) {
      const m = /^\{(.*)\}(.+)$/.exec(name);
      if (m && m[1] !== RDF_NS) push(key(m[1], m[2]), [v]);
    }
    for (const child of desc.children) push(key(child.ns, child.local), values(child));
  }
  return out;
}

/** An XMP GPS coordinate (`50,17.976N` or `50,17,58.57N`) as signed decimal degrees. */
export function xmpCoordinate(s: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?\s*([NSEW])\s*$/i.exec(s ?? '');
  if (!m) return undefined;
  const v = Number(m[1]) + Number(m[2]) / 60 + (m[3] ? Number(m[3]) / 3600 : 0);
  return /[SW]/i.test(m[4]) ? -v : v;
}
