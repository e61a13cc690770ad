// Hostile archives and XML, built by hand for the zip and XML reader tests: bombs, liars, floods, climbing names.
import { crc32 } from 'node:zlib';
import { zip } from '../helpers/make-media.js';

export const CONTAINER = `<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>`;

/** A minimal OPF whose title is `title` (raw XML, not escaped) and with `extra` before </package>. */
export function opf(title: string, opts: { doctype?: string; extra?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${opts.doctype ?? ''}
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:x</dc:identifier><dc:title>${title}</dc:title></metadata>
  <manifest/><spine/>${opts.extra ?? ''}
</package>`;
}

/** An EPUB of these members after `mimetype` (stored; the rest deflated). */
export function epub(members: Array<[string, string | Buffer]>): Buffer {
  return zip([['mimetype', 'application/epub+zip'], ...members]);
}

/** A plain EPUB with this OPF. */
export function book(opfXml: string): Buffer {
  return epub([['META-INF/container.xml', CONTAINER], ['OEBPS/content.opf', opfXml]]);
}

/** Rewrites a member's declared uncompressed size, in its local header and in the central directory (a liar). */
export function lieAboutSize(archive: Buffer, member: string, size: number): Buffer {
  const out = Buffer.from(archive);
  const local = out.indexOf(member);
  out.writeUInt32LE(size, local - 30 + 22);
  const central = out.lastIndexOf(member);
  out.writeUInt32LE(size, central - 46 + 24);
  return out;
}

/** An OPF that inflates from a few KiB to `bytes` (a comment of one repeated letter): a zip bomb's shape. */
export function bombOpf(bytes: number): string {
  return opf('Bomb', { extra: `<!--${'A'.repeat(bytes)}-->` });
}

/** A zip of stored (uncompressed) members: fast to build with tens of thousands of them. */
export function storedZip(entries: Array<[string, string]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of entries) {
    const body = Buffer.from(text, 'utf8');
    const nameBuf = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(body), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    local.copy(central, 16, 14, 26); // crc, sizes
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, body);
    centrals.push(central, nameBuf);
    offset += 30 + nameBuf.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** `first`, then `count` empty members, then `then`: a crowd in front of what a reader looks for (stored). */
export function crowded(count: number, then: Array<[string, string]>, first: Array<[string, string]> = [['mimetype', 'application/epub+zip']]): Buffer {
  const filler: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) filler.push([`f/${i.toString(36)}`, '']);
  return storedZip([...first, ...filler, ...then]);
}

/** The archive without its end of central directory record and most of the directory (a cut download). */
export function cutInCentralDirectory(archive: Buffer): Buffer {
  const cd = archive.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  return archive.subarray(0, cd + 30);
}

/** The archive with its end record pointing the central directory at the wrong place (a damaged directory). */
export function misplacedCentralDirectory(archive: Buffer): Buffer {
  const out = Buffer.from(archive);
  out.writeUInt32LE(1, out.length - 22 + 16);
  return out;
}

/** Entities a billion laughs would need: ten levels of ten. */
export const LAUGHS_DOCTYPE = `<!DOCTYPE package [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>`;

/** Elements nested `depth` deep. */
export function deep(depth: number): string {
  return '<x>'.repeat(depth) + '</x>'.repeat(depth);
}
