// File descriptions two nodes disagree on: read from the store (each node's shares and its `edits` graph), listed like
// PIM conflicts, settled (and edited: `semsync edit`) by writing this node's edit, which syncs to every paired peer.
import { fileURLToPath } from 'node:url';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { graphSource, hlc, termToNQuads, type Change, type GraphStore, type Patch } from '../graph/index.js';
import { DCTERMS, FOAF, ID, NIE, RDF, SS, XSD, cleanText, graphIri, personIri } from '../graph/vocab.js';
import { descriptionConflict, openSides, parseSeen, seenBy, valueHash, type DescriptionConflict, type DescriptionSide, type EditSeen } from './file-conflicts-rule.js';
import { InputError } from '../base/index.js';
import { fileIri } from '../library/index.js';
import { ConflictError, type ConflictEntry, type ConflictResolution, type ConflictSide } from './conflicts.js';

const { literal, namedNode, quad } = n3.DataFactory;

/** The fields of a content a person edits and `conflicts` compares: single-valued, or one set (creators). */
export const FILE_FIELDS = {
  title: DCTERMS('title'),
  creator: DCTERMS('creator'),
  date: DCTERMS('date'),
  language: DCTERMS('language'),
  publisher: DCTERMS('publisher'),
  description: DCTERMS('description'),
} as const;
export type FileField = keyof typeof FILE_FIELDS;

/** The graph a node's edits of file descriptions live in (sent to every paired peer). */
export const EDITS_SOURCE = 'edits';
const editsGraph = (node: string) => graphIri(node, EDITS_SOURCE);
/** The record of one node's edit of one field of one content (in its edits graph). */
export const editIri = (node: string, content: string, field: FileField) => ID(`edit/${node}/${content.slice(content.lastIndexOf(':') + 1)}/${field}`);

export class FileEditError extends InputError {
  override name = 'FileEditError';
}

/** What `semsync edit` answers. */
export interface FileEditResult {
  content: string;
  field: string;
  kept: string;
  /** False: the edit changed nothing. */
  written: boolean;
}

interface Held {
  /** Values by N-Triples, from the node's share graphs and from its edits graph. */
  scan: Map<string, Term>;
  edit: Map<string, Term>;
}

export interface FileConflictDeps {
  store: GraphStore;
  name?: (id: string) => string;
  /** The person's own nodes (peers whose policy is chosen): only their edits are taken in (adopt); default every node. */
  ownNodes?: () => Promise<ReadonlySet<string>>;
}

/** Parses a VALUE for a field (creators: `A; B`, whose names go to `names`); undefined when it does not read as one. */
function valueTerms(field: FileField, text: string, names: Map<string, string>): Term[] | undefined {
  const clean = cleanText(text);
  if (!clean) return undefined;
  if (field === 'creator') {
    const people = clean.split(';').map((n) => n.trim()).filter(Boolean);
    for (const n of people) names.set(personIri(n).value, n);
    return people.map((n) => personIri(n));
  }
  if (field !== 'date') return [literal(clean)];
  const day = clean.slice(0, 10);
  const realDay = /^\d{4}-\d{2}-\d{2}$/.test(day) && Number.isFinite(Date.parse(day)) && new Date(Date.parse(day)).toISOString().startsWith(day);
  const type = /^\d{4}$/.test(clean)
    ? 'gYear'
    : /^\d{4}-(0[1-9]|1[0-2])$/.test(clean)
      ? 'gYearMonth'
      : clean.length === 10 && realDay
        ? 'date'
        : realDay && /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(clean)
          ? 'dateTime'
          : undefined;
  return type ? [literal(clean, XSD(type))] : undefined;
}

export class FileConflicts {
  constructor(private readonly deps: FileConflictDeps) {}

  private get self(): string {
    return this.deps.store.nodeId;
  }

  /** content → field → node → what it holds; only the fields of contents (urn:sha256:) in share and edits graphs. */
  private held(content: Term): Map<string, Map<FileField, Map<string, Held>>> {
    const out = new Map<string, Map<FileField, Map<string, Held>>>();
    for (const [field, p] of Object.entries(FILE_FIELDS) as Array<[FileField, Term]>) {
      for (const q of this.deps.store.match(content, p, null, null)) {
        if (!q.subject.value.startsWith('urn:sha256:') || q.graph.termType !== 'NamedNode') continue;
        const g = graphSource(q.graph.value);
        if (!g || !(g.source.startsWith('share/') || g.source === EDITS_SOURCE)) continue;
        let byField = out.get(q.subject.value);
        if (!byField) out.set(q.subject.value, (byField = new Map()));
        let byNode = byField.get(field);
        if (!byNode) byField.set(field, (byNode = new Map()));
        let h = byNode.get(g.author);
        if (!h) byNode.set(g.author, (h = { scan: new Map(), edit: new Map() }));
        (g.source === EDITS_SOURCE ? h.edit : h.scan).set(termToNQuads(q.object), q.object);
      }
    }
    return out;
  }

  /**
   * The contents whose share and edits graphs hold two values of one field (one query: matching every title of a
   * large library statement by statement would take a minute); only those can be in conflict.
   */
  private candidates(): string[] {
    const out = this.deps.store.query(
      `SELECT DISTINCT ?s WHERE { VALUES ?p { ${Object.values(FILE_FIELDS).map((p) => `<${p.value}>`).join(' ')} } GRAPH ?g { ?s ?p ?o }
        FILTER(STRSTARTS(STR(?s), "urn:sha256:") && STRSTARTS(STR(?g), ${JSON.stringify(ID.iri + 'graph/')}) && (CONTAINS(STR(?g), "/share/") || STRENDS(STR(?g), "/${EDITS_SOURCE}")))
      } GROUP BY ?s ?p HAVING (COUNT(DISTINCT ?o) > 1 && COUNT(DISTINCT ?g) > 1)`,
    );
    return out.kind === 'bindings' ? out.rows.map((r) => r.s?.value).filter((s): s is string => s !== undefined) : [];
  }

  /** Each node's side on one field: its edit (values and record) when it has one, else what its scans read. */
  private sides(content: string, field: FileField, byNode: Map<string, Held>): DescriptionSide[] {
    const out: DescriptionSide[] = [];
    for (const [node, h] of byNode) {
      const rec = editIri(node, content, field);
      const g = editsGraph(node);
      const rev = this.deps.store.match(rec, SS('revision'), null, g)[0]?.object.value;
      if (rev !== undefined && h.edit.size) {
        out.push({ node, values: [...h.edit.keys()].sort(), rev, seen: parseSeen(this.deps.store.match(rec, SS('seen'), null, g)[0]?.object.value) });
      } else if (h.scan.size) out.push({ node, values: [...h.scan.keys()].sort() });
    }
    return out;
  }

  /** Whose edits settle another node's side: this node's and its own nodes' (every node's when not told). */
  private async settles(): Promise<(node: string) => boolean> {
    const own = await this.deps.ownNodes?.();
    return own ? (node) => node === this.self || own.has(node) : () => true;
  }

  /** Every open conflict of a file description, by content then field. */
  async conflicts(): Promise<DescriptionConflict[]> {
    const settles = await this.settles();
    const out: DescriptionConflict[] = [];
    for (const content of this.candidates()) {
      for (const [field, byNode] of this.held(namedNode(content)).get(content) ?? []) {
        if (byNode.size < 2) continue; // one node alone never disagrees with itself
        const c = descriptionConflict(content, field, this.sides(content, field, byNode), { settles });
        if (c) out.push(c);
      }
    }
    return out.sort((a, b) => (a.content < b.content ? -1 : a.content > b.content ? 1 : a.field < b.field ? -1 : 1));
  }

  /** The files (paths as their node wrote them) that hold the content, by node. */
  private filesOf(content: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const q of this.deps.store.match(null, NIE('interpretedAs'), namedNode(content), null)) {
      const g = graphSource(q.graph.value);
      if (!g?.source.startsWith('share/') || !q.subject.value.startsWith('file:')) continue;
      let p: string;
      try {
        p = fileURLToPath(q.subject.value);
      } catch {
        continue;
      }
      out.set(g.author, [...(out.get(g.author) ?? []), p].sort());
    }
    return out;
  }

  /** A value set as a person reads it: text as is, people by name, joined by `; `. */
  private text(values: string[]): string {
    const one = (nt: string) => {
      if (!nt.startsWith('<')) return new n3.Parser({ format: 'N-Triples' }).parse(`<urn:x:s> <urn:x:p> ${nt} .`)[0]?.object.value ?? nt;
      const iri = nt.slice(1, -1);
      return this.deps.store.match(namedNode(iri), FOAF('name'), null, null)[0]?.object.value ?? iri;
    };
    return values.map(one).join('; ');
  }

  /** The time of a side: its edit's revision, else the latest patch of its node that wrote the field here. */
  private timeOf(content: string, predicate: Term, s: DescriptionSide, log: () => Patch[]): string {
    const stamp = s.rev ?? log().filter((p) => p.author === s.node && p.changes.some((c) => c.op === 'A' && c.quad.subject.value === content && c.quad.predicate.equals(predicate))).map((p) => p.hlc).sort(hlc.compareHlcText).pop();
    const ms = stamp ? hlc.parseHlc(stamp)?.ms : undefined;
    return ms ? new Date(ms).toISOString() : '';
  }

  /** A conflict as `semsync conflicts` lists it: the PIM shape, `kind: "file"`, the content and its paths. */
  entry(c: DescriptionConflict, log: () => Patch[] = () => this.deps.store.logPatches([c.content]).patches): ConflictEntry {
    const files = this.filesOf(c.content);
    const predicate = FILE_FIELDS[c.field as FileField];
    const sides: ConflictSide[] = c.sides.map((s, i) => ({ value: this.text(s.values), node: s.node, by: this.deps.name?.(s.node) ?? s.node, rev: s.rev ?? 'scan', time: this.timeOf(c.content, predicate, s, log), mine: s.node === this.self, shown: i === 0, ...(s.rev ? {} : { via: 'scan' }), paths: files.get(s.node) ?? [] }));
    const paths = files.get(this.self) ?? [...files.values()].flat();
    const name = paths[0] ? paths[0].slice(paths[0].lastIndexOf('/') + 1) : c.content;
    return { id: c.id, kind: 'file', item: c.content, uid: name, field: c.field, sides, paths };
  }

  /** Every open conflict as listed; the change log is read once (for the times of scanned values), when needed. */
  async list(): Promise<ConflictEntry[]> {
    const all = await this.conflicts();
    let patches: Patch[] | undefined;
    const log = () => (patches ??= this.deps.store.logPatches(all.map((c) => c.content)).patches);
    return all.map((c) => this.entry(c, log));
  }

  /** Settles conflict `id` (`f…`, or a unique prefix of 4+) by this node's edit of the field to mine, theirs or VALUE. */
  async resolve(id: string, keep: string): Promise<ConflictResolution> {
    const hits = (await this.conflicts()).filter((c) => c.id === id || (id.length >= 4 && c.id.startsWith(id)));
    if (hits.length > 1) throw new ConflictError(`conflict ${id}: ${hits.length} conflicts start so; give more of the id (see \`semsync conflicts\`)`);
    if (!hits.length) throw new ConflictError(`no open conflict ${id} (settled already, or never here); see \`semsync conflicts\``);
    const c = hits[0];
    const field = c.field as FileField;
    let values: string[] | undefined;
    if (keep === 'mine' || keep === 'theirs') {
      const side = c.sides.find((s) => (s.node === this.self) === (keep === 'mine'));
      if (!side) throw new ConflictError(`conflict ${c.id}: ${keep === 'mine' ? 'this node holds no side of it' : 'every side is this node\'s'}; keep a value instead (--keep VALUE)`);
      values = side.values;
    }
    const written = await this.edit(c.content, field, values ?? keep);
    return { id: c.id, item: c.content, field: c.field, kept: written.kept, written: written.written };
  }

  /** `semsync edit PATH|urn:sha256:HEX FIELD VALUE`: this node's edit of a described file's (or content's) field. */
  async editFile(target: string, field: string, value: string): Promise<FileEditResult> {
    if (!Object.hasOwn(FILE_FIELDS, field)) throw new FileEditError(`${field}: not a field of a file description (fields: ${Object.keys(FILE_FIELDS).join(', ')})`);
    const content = /^urn:sha256:[0-9a-f]{64}$/.test(target) ? target : this.deps.store.match(fileIri(target), NIE('interpretedAs'), null, null)[0]?.object.value;
    if (!content) throw new FileEditError(`${target} is not described on this node; is it in a share, and has it been scanned?`);
    return { content, field, ...(await this.edit(content, field as FileField, value)) };
  }

  /**
   * This node's edit of one field of a content: the values (N-Triples of a side, or a VALUE's text) into its edits
   * graph with a record of what it had seen, and in place of the field in its own share graphs that describe it.
   */
  async edit(content: string, field: FileField, value: string | string[]): Promise<{ kept: string; written: boolean }> {
    const subject = namedNode(content);
    const byNode = this.held(subject).get(content)?.get(field) ?? new Map<string, Held>();
    const names = new Map<string, string>();
    const terms = Array.isArray(value) ? this.termsOf(byNode, value) : valueTerms(field, value, names);
    if (!terms?.length) throw new FileEditError(`${JSON.stringify(value)} does not read as a ${field}${field === 'date' ? ' (YYYY, YYYY-MM, YYYY-MM-DD or an ISO date-time)' : ''}`);
    const sides = this.sides(content, field, byNode);
    const seen = seenBy(this.self, sides);
    const rec = editIri(this.self, content, field);
    const own = editsGraph(this.self);
    const changes = [own, ...this.ownShares(subject)].flatMap((g) => this.replaceField(subject, field, terms, g, names));
    const before = sides.find((x) => x.node === this.self);
    // nothing new: the same values, and nothing seen now that the edit before had not seen (its own values aside)
    const nothingNew = (was: DescriptionSide, now: EditSeen) => Object.entries(now.n).every(([n, r]) => was.seen?.n[n] === r) && now.v.every((h) => h === valueHash(was.values) || was.seen?.v.includes(h));
    if (!changes.length && before?.rev !== undefined && nothingNew(before, seen)) return { kept: this.text(before.values), written: false }; // said already, having seen the same
    for (const q of this.deps.store.match(rec, null, null, own)) changes.push({ op: 'D', quad: q });
    const rev = hlc.formatHlc(hlc.tick(hlc.parseHlc(this.deps.store.clockNow()) ?? hlc.HLC_ZERO, Date.now()));
    const record: Array<[Term, Term]> = [[RDF('type'), SS('Edit')], [SS('editOf'), subject], [SS('field'), literal(field)], [SS('revision'), literal(rev)], [SS('seen'), literal(JSON.stringify(seen))]];
    for (const [p, o] of record) changes.push({ op: 'A', quad: quad(rec, p as Quad['predicate'], o as Quad['object'], own) });
    const patch = await this.deps.store.commit(changes);
    return { kept: this.text(terms.map((t) => termToNQuads(t)).sort()), written: patch !== null };
  }

  /** This node's share graphs that describe the content. */
  private ownShares(subject: Term): Term[] {
    const graphs = new Set(this.deps.store.match(subject, null, null, null).map((q) => q.graph.value));
    return [...graphs].filter((g) => graphSource(g)?.author === this.self && graphSource(g)?.source.startsWith('share/')).map((g) => namedNode(g));
  }

  /** The rows that make graph `g` say `terms` for the field (people with their names); none when it says so already. */
  private replaceField(subject: Term, field: FileField, terms: Term[], g: Term, names = new Map<string, string>()): Change[] {
    const predicate = FILE_FIELDS[field];
    const now = this.deps.store.match(subject, predicate, null, g);
    const want = new Set(terms.map((t) => termToNQuads(t)));
    if (now.length === want.size && now.every((q) => want.has(termToNQuads(q.object)))) return [];
    const changes: Change[] = now.map((q) => ({ op: 'D', quad: q }));
    for (const t of terms) changes.push({ op: 'A', quad: quad(subject as Quad['subject'], predicate, t as Quad['object'], g as Quad['graph']) });
    if (field === 'creator') for (const t of terms) changes.push(...this.personQuads(t, g, names).map((q) => ({ op: 'A' as const, quad: q })));
    return changes;
  }

  /**
   * Brings this node's own description in line with another node's edit that had seen it, where no conflict is left:
   * its share graphs take that edit's values, and its own superseded edit of the field goes (history keeps it; a new
   * edit here, which sees the other, takes the field back). Returns the fields changed.
   */
  async adopt(): Promise<number> {
    const { store } = this.deps;
    const keys = new Set<string>();
    for (const q of store.match(null, SS('editOf'), null, null)) {
      const g = graphSource(q.graph.value);
      const field = g && g.source === EDITS_SOURCE && g.author !== this.self ? store.match(q.subject, SS('field'), null, q.graph)[0]?.object.value : undefined;
      if (field && Object.hasOwn(FILE_FIELDS, field) && q.object.value.startsWith('urn:sha256:')) keys.add(`${q.object.value}\n${field}`);
    }
    const settles = await this.settles();
    const changes: Change[] = [];
    let fields = 0;
    for (const key of keys) {
      const [content, field] = key.split('\n') as [string, FileField];
      const byNode = this.held(namedNode(content)).get(content)?.get(field);
      const sides = byNode?.has(this.self) ? this.sides(content, field, byNode) : [];
      const open = openSides(sides, { settles });
      if (!sides.some((s) => s.node === this.self) || !open.length || open.some((s) => s.node === this.self || s.values.join() !== open[0].values.join())) continue;
      if (!open.every((s) => settles(s.node))) continue; // a visitor's edit is listed, never taken in
      const subject = namedNode(content);
      const terms = this.termsOf(byNode!, open[0].values);
      const rows = this.ownShares(subject).flatMap((g) => this.replaceField(subject, field, terms, g));
      const mine = editsGraph(this.self);
      rows.push(...store.match(subject, FILE_FIELDS[field], null, mine).map((q) => ({ op: 'D' as const, quad: q })));
      rows.push(...store.match(editIri(this.self, content, field), null, null, mine).map((q) => ({ op: 'D' as const, quad: q })));
      if (rows.length) fields++;
      changes.push(...rows);
    }
    if (changes.length) await store.commit(changes);
    return fields;
  }

  /** Adopts (above) after every commit of another node's (debounced to one run at a time); stops when called back. */
  follow(onError: (err: Error) => void): () => void {
    let running = false;
    let again = false;
    const run = async () => {
      if (running) return void (again = true);
      running = true;
      try {
        do {
          again = false;
          await this.adopt();
        } while (again);
      } catch (err) {
        onError(err as Error);
      } finally {
        running = false;
      }
    };
    return this.deps.store.events.on('commit', (e) => {
      if (e.author !== this.self) void run();
    });
  }

  private termsOf(byNode: Map<string, Held>, nts: string[]): Term[] {
    const all = new Map<string, Term>();
    for (const h of byNode.values()) for (const m of [h.scan, h.edit]) for (const [k, t] of m) all.set(k, t);
    return nts.map((k) => all.get(k)).filter((t): t is Term => t !== undefined);
  }

  private personQuads(t: Term, g: Term, names: Map<string, string>): Quad[] {
    if (t.termType !== 'NamedNode') return [];
    const given = names.get(t.value);
    const name = given !== undefined ? literal(given) : this.deps.store.match(t, FOAF('name'), null, null)[0]?.object ?? literal(decodeURIComponent(t.value.slice(t.value.lastIndexOf('/') + 1)));
    return [quad(t, RDF('type'), FOAF('Person'), g as Quad['graph']), quad(t, FOAF('name'), name as Quad['object'], g as Quad['graph'])];
  }
}
