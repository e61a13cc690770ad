// vCard 3.0 ↔ 4.0: the converter, and the server serving the version a client asks for (GET Accept, address-data).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphStore } from '../../src/graph/store.js';
import { DavServer } from '../../src/dav/index.js';
import { acceptedVcard, addressDataVersion, convertVcard } from '../../src/dav/server/vcard.js';

const V3 = [
  'BEGIN:VCARD', 'VERSION:3.0', 'UID:urn:uuid:0b5c1c2e-aaaa-4bbb-8ccc-000000000001', 'FN:Ada Lovelace', 'N:Lovelace;Ada;;;',
  'TEL;TYPE=CELL,VOICE,PREF:+31 6 1234', 'EMAIL;TYPE=INTERNET,HOME:ada@example.org', 'PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ',
  'BDAY:1815-12-10', 'X-ADDRESSBOOKSERVER-KIND:group', 'X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:x1', 'GEO:51.5;-0.12',
  'item1.ADR;TYPE=HOME:;;1 Street;London;;N1;UK', 'X-CLIENT-ONLY;X-P="a:b":kept as written',
  'NOTE:a long note that the client folded its own way because it goes on and on and on and',
  '  on', 'END:VCARD', '',
].join('\r\n');
const V4 = [
  'BEGIN:VCARD', 'VERSION:4.0', 'UID:urn:uuid:0b5c1c2e-aaaa-4bbb-8ccc-000000000001', 'FN:Ada Lovelace', 'N:Lovelace;Ada;;;',
  'TEL;TYPE=cell,voice;PREF=1:+31 6 1234', 'EMAIL;TYPE=home:ada@example.org', 'PHOTO:data:image/jpeg;base64,/9j/4AAQ',
  'BDAY:18151210', 'KIND:group', 'MEMBER:urn:uuid:x1', 'GEO:geo:51.5,-0.12',
  'item1.ADR;TYPE=home:;;1 Street;London;;N1;UK', 'X-CLIENT-ONLY;X-P="a:b":kept as written',
  'NOTE:a long note that the client folded its own way because it goes on and on and on and',
  '  on', 'END:VCARD', '',
].join('\r\n');

describe('convertVcard', () => {
  it('rewrites the common properties both ways and keeps every other line as it was', () => {
    expect(convertVcard(V3, '4.0')).toBe(V4);
    expect(convertVcard(V4, '3.0')).toBe(V3);
  });
  it('gives a card back exactly when it is already the version asked for', () => {
    expect(convertVcard(V3, '3.0')).toBe(V3);
    expect(convertVcard(V4, '4.0')).toBe(V4);
  });
  it('adds the N that 3.0 needs, drops KIND:individual, and handles a birthday without a year and tel: URIs', () => {
    const v4 = 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u1\r\nFN:Solo\r\nKIND:individual\r\nBDAY:--0412\r\nTEL;VALUE=uri;TYPE=work:tel:+1-555\r\nEND:VCARD\r\n';
    const v3 = convertVcard(v4, '3.0');
    expect(v3).toBe('BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Solo\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\nTEL;TYPE=WORK:+1-555\r\nN:;;;;\r\nEND:VCARD\r\n');
    expect(convertVcard(v3, '4.0')).toContain('BDAY:--0412\r\n');
  });
});

describe('folding', () => {
  it('folds a rewritten long line at 75 octets (not inside a UTF-8 character) and reads back the same value', () => {
    const data = 'A'.repeat(300);
    const v3 = `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u2\r\nFN:Zoë\r\nN:;Zoë;;;\r\nPHOTO;ENCODING=b;TYPE=PNG:${data}\r\nEMAIL;TYPE=INTERNET:${'é'.repeat(60)}@x.org\r\nEND:VCARD\r\n`;
    const v4 = convertVcard(v3, '4.0');
    for (const line of v4.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    const unfolded = v4.replace(/\r\n /g, '');
    expect(unfolded).toContain(`PHOTO:data:image/png;base64,${data}\r\n`);
    expect(unfolded).toContain(`EMAIL:${'é'.repeat(60)}@x.org\r\n`);
    expect(convertVcard(v4, '3.0').replace(/\r\n /g, '')).toBe(v3);
  });
});

describe('negotiation', () => {
  it('reads the Accept header (q values, no version = 3.0, nothing vCard = undefined)', () => {
    expect(acceptedVcard(null)).toBe('3.0');
    expect(acceptedVcard('text/vcard')).toBe('3.0');
    expect(acceptedVcard('text/vcard; version=4.0')).toBe('4.0');
    expect(acceptedVcard('text/vcard; version=3.0; q=0.5, text/vcard; version=4.0')).toBe('4.0');
    expect(acceptedVcard('*/*')).toBe('3.0');
    expect(acceptedVcard('application/json')).toBeUndefined();
  });
  it('reads address-data attributes (default 3.0) and refuses another type', () => {
    expect(addressDataVersion({})).toBe('3.0');
    expect(addressDataVersion({ 'content-type': 'text/vcard', version: '4.0' })).toBe('4.0');
    expect(() => addressDataVersion({ 'content-type': 'application/vcard+json' })).toThrow(/not served/);
  });
});

describe('the server serves the version asked for', () => {
  let home: string;
  let store: GraphStore;
  let dav: DavServer;
  let pw = '';
  const req = (method: string, p: string, body?: string, headers: Record<string, string> = {}) =>
    dav.handle(new Request(`http://127.0.0.1${p}`, { method, body, headers: { ...headers, authorization: 'Basic ' + Buffer.from(`phone:${pw}`).toString('base64') } }), '127.0.0.1');
  const multiget = (attrs: string) =>
    `<A:addressbook-multiget xmlns:d="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><A:address-data${attrs}/></d:prop><d:href>/dav/phone/contacts/ada.vcf</d:href></A:addressbook-multiget>`;
  const data = (xml: string) => (/<(?:\w+:)?address-data[^>]*>([\s\S]*?)<\//.exec(xml)?.[1] ?? '').replace(/&#13;|&#xD;/gi, '\r').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'semsync-davvcard-'));
    store = await GraphStore.open({ dir: path.join(home, 'store'), nodeId: 'laptop' });
    dav = new DavServer({ store, home });
    pw = (await dav.accounts.add('phone', undefined)).password;
    expect((await req('PUT', '/dav/phone/contacts/ada.vcf', V4, { 'content-type': 'text/vcard' })).status).toBe(201);
  });
  afterAll(async () => {
    await store?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('GET: 4.0 as written when Accept asks for 4.0, 3.0 when it asks for nothing or 3.0, one ETag for both', async () => {
    const four = await req('GET', '/dav/phone/contacts/ada.vcf', undefined, { accept: 'text/vcard; version=4.0' });
    expect(await four.text()).toBe(V4);
    expect(four.headers.get('content-type')).toContain('version=4.0');
    const plain = await req('GET', '/dav/phone/contacts/ada.vcf');
    expect(await plain.text()).toBe(V3);
    const three = await req('GET', '/dav/phone/contacts/ada.vcf', undefined, { accept: 'text/vcard;version=3.0' });
    expect(await three.text()).toBe(V3);
    expect(three.headers.get('etag')).toBe(four.headers.get('etag'));
    expect((await req('GET', '/dav/phone/contacts/ada.vcf', undefined, { accept: 'application/json' })).status).toBe(406);
  });

  it('addressbook-multiget: address-data version 4.0 gives the text as written, no attributes give 3.0', async () => {
    expect(data(await (await req('REPORT', '/dav/phone/contacts/', multiget(' content-type="text/vcard" version="4.0"'), { depth: '1' })).text())).toBe(V4);
    expect(data(await (await req('REPORT', '/dav/phone/contacts/', multiget(''), { depth: '1' })).text())).toBe(V3);
    const bad = await req('REPORT', '/dav/phone/contacts/', multiget(' content-type="application/vcard+json"'), { depth: '1' });
    expect(bad.status).toBe(415);
    expect(await bad.text()).toContain('supported-address-data');
  });

  it('advertises both versions in supported-address-data', async () => {
    const r = await req('PROPFIND', '/dav/phone/contacts/', '<d:propfind xmlns:d="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav"><d:prop><A:supported-address-data/></d:prop></d:propfind>', { depth: '0' });
    const xml = await r.text();
    expect(xml).toMatch(/version="3\.0"/);
    expect(xml).toMatch(/version="4\.0"/);
  });
});
