// A device's or host target's catalog as statements for the node's store: the device (label, kind, filesystem, free
// space, last seen, attached) and every copy on it (its file IRI, its content, size, where), in one named graph per
// device, so "where is each copy" is one SPARQL query over the union of every node's graphs.
import { pathToFileURL } from 'node:url';
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import type { NewGraphRows } from '../../graph/index.js';
import { DCTERMS, NFO, NIE, RDF, RDFS, SS, XSD, categoryIri } from '../../graph/vocab.js';
import type { CatalogRecord } from './record.js';
import { unsafeRelative } from '../contain.js';
import { deviceIri } from '../profile.js';

const { quad, namedNode, literal } = n3.DataFactory;

/** What a node saw of a device (or host target) when it last looked. */
export interface DeviceSeen {
  id: string;
  label: string;
  /** 'mount' (a mounted volume), 'folder' (a media root), 'target' (a host folder). */
  kind: string;
  /** The mount's filesystem type (vfat, exfat, ext4, tmpfs, fuse…; 'folder' for a host target). */
  fsType: string;
  /** Where it is (was) mounted on this node. */
  root: string;
  free?: number;
  total?: number;
  /** ISO 8601. */
  lastSeen: string;
  attached: boolean;
  /** `ss:mirror true` in its profile. */
  mirror?: boolean;
  /** Which catalog (and device facts) the graph was loaded from (`ss:catalogVersion`): unchanged → nothing to load. */
  version?: string;
}

/** The source part of a device's graph name (`…/graph/<nodeId>/device/<id>`). */
export const deviceGraphSource = (id: string) => `device/${id}`;

/** The device's own statements (not its copies): what changes on every attach, detach and placement. */
export function deviceQuads(graph: string, d: DeviceSeen): Quad[] {
  const g = namedNode(graph);
  const dev = namedNode(deviceIri(d.id));
  const out = [
    quad(dev, RDF('type'), SS('Device'), g),
    quad(dev, SS('deviceId'), literal(d.id), g),
    quad(dev, RDFS('label'), literal(d.label), g),
    quad(dev, SS('deviceKind'), literal(d.kind), g),
    quad(dev, SS('fileSystem'), literal(d.fsType), g),
    quad(dev, SS('mountPoint'), namedNode(pathToFileURL(d.root).href), g),
    quad(dev, SS('lastSeen'), literal(d.lastSeen, XSD('dateTime')), g),
    quad(dev, SS('attached'), literal(String(d.attached), XSD('boolean')), g),
  ];
  if (d.free !== undefined) out.push(quad(dev, SS('freeSpace'), literal(String(d.free), XSD('integer')), g));
  if (d.total !== undefined) out.push(quad(dev, SS('capacity'), literal(String(d.total), XSD('integer')), g));
  if (d.mirror) out.push(quad(dev, SS('mirror'), literal('true', XSD('boolean')), g));
  if (d.version) out.push(quad(dev, SS('catalogVersion'), literal(d.version), g));
  return out;
}

type Known = { titled: ReadonlySet<string>; categorised: ReadonlySet<string> };
const NONE: Known = { titled: new Set(), categorised: new Set() };

/**
 * Every copy on the device as statements in `graph`: `<file:///mount/path> a nfo:FileDataObject ; nie:interpretedAs
 * <urn:sha256:…> ; nfo:fileSize N ; ss:onDevice <device> ; ss:relativePath "…" ; ss:placedBy <rule>`. For a content
 * the node does not describe (`known` says which it does: the caller copies those descriptions), its title and
 * category from the catalog's template values. Records of files the person deleted are not copies and are left out.
 */
export function catalogGraphQuads(graph: string, d: DeviceSeen, records: readonly CatalogRecord[], known: Known = NONE): Quad[] {
  const g = namedNode(graph);
  const out = deviceQuads(graph, d);
  eachCopyStatement(d, records, known, (s, p, o) => out.push(quad(s, p, o, g)));
  return out;
}

/** {@link catalogGraphQuads} added to `rows` (a new graph's rows, committed in one go): no quad object per statement. */
export function catalogGraphRows(rows: NewGraphRows, graph: string, d: DeviceSeen, records: readonly CatalogRecord[], known: Known = NONE): void {
  const g = namedNode(graph);
  for (const q of deviceQuads(graph, d)) rows.addQuad(q);
  eachCopyStatement(d, records, known, (s, p, o) => rows.add(s, p, o, g));
}

/** The statements of catalogGraphQuads after the device's own, in order, as subject, predicate and object. */
function eachCopyStatement(d: DeviceSeen, records: readonly CatalogRecord[], known: Known, emit: (s: Quad['subject'], p: Quad['predicate'], o: Quad['object']) => void): void {
  const dev = namedNode(deviceIri(d.id));
  const base = pathToFileURL(d.root.endsWith('/') ? d.root : `${d.root}/`).href;
  const typeP = RDF('type');
  const fileT = NFO('FileDataObject');
  const interp = NIE('interpretedAs');
  const sizeP = NFO('fileSize');
  const onP = SS('onDevice');
  const relP = SS('relativePath');
  const byP = SS('placedBy');
  const titleP = DCTERMS('title');
  const catP = SS('category');
  const integer = XSD('integer');
  const contents = new Set<string>();
  const labels = new Set<string>();
  const rules = new Map<string, n3.NamedNode>();
  for (const r of records) {
    // A catalog comes from the device (maybe not ours): only plain relative paths, content hashes and IRIs.
    if (r.removedAt || unsafeRelative(r.path) || r.path === '' || !CONTENT.test(r.content) || !IRI.test(r.rule)) continue;
    const f = namedNode(base + r.path.split('/').map(encodeSegment).join('/'));
    const c = namedNode(r.content);
    let rule = rules.get(r.rule);
    if (!rule) rules.set(r.rule, (rule = namedNode(r.rule)));
    emit(f, typeP, fileT);
    emit(f, interp, c);
    emit(f, sizeP, literal(String(r.size), integer));
    emit(f, onP, dev);
    emit(f, relP, literal(r.path));
    emit(f, byP, rule);
    if (contents.has(r.content)) continue;
    contents.add(r.content);
    const v = r.values;
    // A template's creator is a formatted string ("A & B", "A et al."), not a person: only the title and category.
    if (v.title && !known.titled.has(r.content)) emit(c, titleP, literal(v.title));
    if (v.category && !known.categorised.has(r.content)) {
      emit(c, catP, categoryIri(v.category));
      labels.add(v.category);
    }
  }
  for (const l of labels) {
    emit(categoryIri(l), typeP, SS('Category'));
    emit(categoryIri(l), RDFS('label'), literal(l));
  }
}

const CONTENT = /^urn:sha256:[0-9a-f]{64}$/;
const IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]{1,2000}$/;

// As url.pathToFileURL encodes a path segment (so the IRI is the one `semsync describe PATH` looks up).
// Not `~`: newer Node versions encode it (%7E). A space is %20 in every version (the usual name: no pathToFileURL call).
const SAFE = /^[A-Za-z0-9\-._!$&'()*+,;=:@ ]*$/;
function encodeSegment(s: string): string {
  if (SAFE.test(s)) return s.includes(' ') ? s.replaceAll(' ', '%20') : s;
  return pathToFileURL(`/${s}`).href.slice('file:///'.length);
}
