// The one XML reader (saxes underneath): a namespace-resolved tree, lenient or strict, never expanding a DTD's entities.
import { describe, expect, it } from 'vitest';
import { MAX_XML_CHARS, MAX_XML_DEPTH, XmlReadError, allText, findAll, parseXml, xmlText } from '../../src/extractors/xml.js';
import { LAUGHS_DOCTYPE, deep } from './hostile.js';

function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('parseXml', () => {
  it('resolves namespaces of elements and prefixed attributes; unprefixed attributes keep their local name', () => {
    const root = parseXml(`<?xml version="1.0"?><p:package xmlns:p="urn:p" xmlns:dc="urn:dc" version="3.0" p:role="aut" xml:lang="fr"><dc:title>T</dc:title><x:y/></p:package>`);
    const [pkg] = root.children;
    expect(pkg).toMatchObject({ name: '{urn:p}package', local: 'package', ns: 'urn:p' });
    expect(pkg.attrs).toEqual({ version: '3.0', '{urn:p}role': 'aut', '{http://www.w3.org/XML/1998/namespace}lang': 'fr' });
    expect(pkg.children.map((c) => c.name)).toEqual(['{urn:dc}title', '{x:}y']); // an unbound prefix is `prefix:`
  });

  it('keeps each element\'s own text apart from its children\'s; CDATA, the five entities and character references are text', () => {
    const root = parseXml('<a>one <b>two</b> three<![CDATA[ <four> ]]>&lt;&amp;&gt;&quot;&apos;&#233;&#x263A;</a>');
    const [a] = root.children;
    expect(a.text).toBe('one  three <four> <&>"\'é☺');
    expect(allText(a)).toBe('one  three <four> <&>"\'é☺two');
    expect(findAll(root, (e) => e.local === 'b')).toHaveLength(1);
  });

  it('reads a damaged document leniently: mismatched and unclosed tags close up, an unknown entity stays as written', () => {
    const root = parseXml('<r><a><b>x</a><c>&nbsp;y</c><d>z');
    const [r] = root.children;
    expect(r.children.map((c) => c.local)).toEqual(['a', 'c', 'd']);
    expect(r.children[0].children[0].text).toBe('x');
    expect(r.children[1].text).toBe('&nbsp;y');
    expect(r.children[2].text).toBe('z');
  });

  it('read strictly, a damaged document is an XmlReadError naming the member', () => {
    const e = failure(() => parseXml('<r><a></r>', 'meta.xml', { strict: true }));
    expect(e).toBeInstanceOf(XmlReadError);
    expect(e.message).toMatch(/^meta\.xml is not well-formed XML: /);
  });

  it('never expands a DTD\'s entities (billion laughs): the reference stays as written and the declaration is reported', () => {
    const problems: string[] = [];
    const root = parseXml(`<?xml version="1.0"?>${LAUGHS_DOCTYPE}<package><title>&j;</title></package>`, 'OEBPS/content.opf', { problems });
    expect(root.children[0].children[0].text).toBe('&j;');
    expect(problems).toEqual(['OEBPS/content.opf declares entities in its DOCTYPE: not expanded (a billion laughs?)']);
    // A DOCTYPE without entities (OEB 1.2 packages have one) is read silently.
    const quiet: string[] = [];
    parseXml('<!DOCTYPE package PUBLIC "+//ISBN 0-9673008-1-9//DTD OEB 1.2 Package//EN" "http://openebook.org/dtds/oeb-1.2/oebpkg12.dtd"><package/>', 'x', { problems: quiet });
    expect(quiet).toEqual([]);
    // Read strictly, the undeclared reference fails the member.
    expect(failure(() => parseXml(`${LAUGHS_DOCTYPE}<r>&j;</r>`, 'meta.xml', { strict: true })).message).toMatch(/^meta\.xml is not well-formed XML: .*undefined entity/);
  });

  it(`refuses nesting deeper than ${MAX_XML_DEPTH}, naming the member, before the tree walks could overflow the stack`, () => {
    expect(parseXml(deep(MAX_XML_DEPTH)).children).toHaveLength(1);
    const e = failure(() => parseXml(deep(100_000), 'OEBPS/content.opf'));
    expect(e).toBeInstanceOf(XmlReadError);
    expect(e.message).toBe(`OEBPS/content.opf nests elements more than ${MAX_XML_DEPTH} deep: refused`);
  });

  it('refuses more elements than its limit and more characters than MAX_XML_CHARS', () => {
    expect(failure(() => parseXml('<r>' + '<i/>'.repeat(11) + '</r>', 'meta.xml', { maxElements: 10 })).message).toBe('meta.xml has more than 10 elements: refused');
    const huge = `<r>${' '.repeat(MAX_XML_CHARS)}</r>`;
    expect(failure(() => parseXml(huge, 'XMP packet')).message).toBe(`XMP packet is ${huge.length} characters of XML (more than ${MAX_XML_CHARS}): refused`);
  });

  it('stops growing an element\'s text at maxText', () => {
    const [r] = parseXml(`<r>${'a'.repeat(100)}<![CDATA[bbb]]></r>`, 'x', { maxText: 50 }).children;
    expect(r.text).toBe('a'.repeat(100));
  });
});

describe('xmlText', () => {
  it('decodes UTF-8 (BOM dropped) and UTF-16 in both byte orders by their BOM', () => {
    expect(xmlText(Buffer.from('\uFEFF<a>é</a>', 'utf8'))).toBe('<a>é</a>');
    expect(xmlText(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>é</a>', 'utf16le')]))).toBe('<a>é</a>');
    const be = Buffer.from('<a>é</a>', 'utf16le').swap16();
    expect(xmlText(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toBe('<a>é</a>');
  });
});
