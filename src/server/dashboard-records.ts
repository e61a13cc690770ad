// The dashboard's contacts and calendars: search the merged view, one record's fields, its history, and where it may
// go under each paired peer's and server's privacy policy.
import type { Quad } from '@rdfjs/types';
import { ICAL, RDF, SS, VCARD } from '../graph/index.js';
import { PIM_KINDS, allowedItem, mergedView, type MergedItem, type PimKindName } from '../pim/index.js';
import type { NodeApi } from '../node/index.js';
import type { SemsyncNode } from '../node/index.js';
import { DashboardInputError } from './dashboard-views.js';

export interface RecordRow {
  kind: PimKindName;
  item: string;
  uid: string;
  title: string;
}

export interface RecordDetail extends RecordRow {
  /** The item's own fields (predicate local name → values). */
  fields: Array<{ name: string; values: string[] }>;
  /** Each paired peer and server: whether this record may go there (a paired peer with no policy gets none). */
  goes: Array<{ target: string; name: string; policy: 'work' | 'personal' | 'custom' | 'none'; allowed: boolean }>;
  history: Awaited<ReturnType<NodeApi['history']>>;
}

const local = (iri: string) => iri.replace(/^.*[#/]/, '');
const uidOf = (master: string) => decodeURIComponent(master.slice(master.lastIndexOf('/') + 1));

function title(item: MergedItem): string {
  const own = item.quads.filter((q) => q.subject.value === item.master);
  const first = (p: string) => own.find((q) => q.predicate.value === p)?.object.value;
  return first(VCARD('fn').value) ?? first(ICAL('summary').value) ?? uidOf(item.master);
}

export class DashboardRecords {
  constructor(
    private readonly node: Pick<SemsyncNode, 'store'>,
    private readonly api: NodeApi,
  ) {}

  private *live(): Generator<{ kind: PimKindName; item: MergedItem }> {
    for (const kind of PIM_KINDS) for (const item of mergedView(this.node.store, kind).items.values()) if (!item.deleted) yield { kind, item };
  }

  /** Contacts and calendar items whose name, UID or any value contains `q` (case-insensitive), by title, at most `limit`. */
  search(q: string, limit: number): { rows: RecordRow[]; more: boolean } {
    const want = q.trim().toLowerCase();
    const rows: RecordRow[] = [];
    for (const { kind, item } of this.live()) {
      const t = title(item);
      const hit = !want || t.toLowerCase().includes(want) || item.quads.some((q) => q.object.value.toLowerCase().includes(want));
      if (hit) rows.push({ kind, item: item.master, uid: uidOf(item.master), title: t });
    }
    rows.sort((a, b) => a.title.localeCompare(b.title) || (a.item < b.item ? -1 : 1));
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }

  /** One record: its fields, where it may go, and its history (newest `limit` changes). */
  async detail(iri: unknown): Promise<RecordDetail> {
    if (typeof iri !== 'string' || !iri) throw new DashboardInputError('say which record (its IRI)');
    const found = [...this.live()].find((x) => x.item.master === iri);
    if (!found) throw new DashboardInputError(`no contact or calendar item ${iri} here (deleted, or never synced to this node)`);
    const { kind, item } = found;
    const own = item.quads.filter((q) => q.subject.value === item.master);
    return {
      kind,
      item: item.master,
      uid: uidOf(item.master),
      title: title(item),
      fields: fieldsOf(item.quads, item.master),
      goes: await this.goes(own),
      history: withoutBookkeeping(await this.api.history(item.master, '/', 20)),
    };
  }

  private async goes(own: Quad[]): Promise<RecordDetail['goes']> {
    const [policies, peers] = await Promise.all([this.api.policyList(), this.api.peerList().catch(() => [])]);
    const names = new Map(peers.map((p) => [p.peerId, p.name ?? p.peerId]));
    // a server without a policy gets everything; a paired peer without one gets no contacts or events
    const out: RecordDetail['goes'] = policies.map((p) => {
      const server = p.target.startsWith('dav:');
      return {
        target: p.target,
        name: server ? `server ${p.target.slice(4)}` : names.get(p.target) ?? p.target,
        policy: !p.policy ? (server ? 'personal' : 'none') : p.policy.exclude ? 'custom' : p.policy.work ? 'work' : 'personal',
        allowed: (server || Boolean(p.policy)) && allowedItem(p.policy ?? undefined, own),
      };
    });
    for (const p of peers) if (p.state !== 'nearby' && !policies.some((x) => x.target === p.peerId)) out.push({ target: p.peerId, name: p.name ?? p.peerId, policy: 'none', allowed: false });
    return out;
  }
}

/** semsync's own bookkeeping (revisions, clocks, the source text, the type): not a field a person edits. */
export function bookkeeping(predicate: string): boolean {
  return predicate.startsWith(SS.iri) || predicate === RDF('type').value;
}

/** The record's fields: its own and its parts' (an address, an override), by predicate, values as written. */
function fieldsOf(quads: Quad[], master: string): RecordDetail['fields'] {
  const out = new Map<string, string[]>();
  for (const q of quads) {
    if (q.object.termType === 'BlankNode' || bookkeeping(q.predicate.value)) continue;
    const part = q.subject.value === master ? '' : `${q.subject.value.slice(master.length + 1)} `;
    const name = `${part}${local(q.predicate.value)}`;
    const list = out.get(name) ?? [];
    list.push(q.object.value);
    out.set(name, list);
  }
  return [...out].map(([name, values]) => ({ name, values }));
}

/** The history with the fields a person edits only (an undo's or a sync's revision bump alone says nothing). */
function withoutBookkeeping(h: RecordDetail['history']): RecordDetail['history'] {
  return { ...h, entries: h.entries.map((e) => ({ ...e, fields: e.fields.filter((f) => !bookkeeping(f.predicate)) })) };
}
