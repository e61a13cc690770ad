// What the dashboard shows and does, from this node's own view: status, peers and grants, shares, devices, the library.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Term } from '@rdfjs/types';
import type { NodeApi } from '../node/index.js';
import type { SemsyncNode } from '../node/index.js';
import type { DeviceRow, PlaceSummary } from '../node/index.js';
import type { DeviceEvent } from '../node/index.js';
import type { PeerEntry } from '../app/index.js';
import { readCover, SHOWN_IMAGES, type Cover } from './covers.js';
import { davDashboard } from './dav-mount.js';
import { davClientRows, davClientSync } from './dashboard-dav-clients.js';
import { DashboardViews } from './dashboard-views.js';
import { DashboardRecords } from './dashboard-records.js';
import { DashboardPrompts } from './dashboard-prompts.js';

export interface LibraryItem {
  content: string;
  hash: string;
  kind: 'ebook' | 'music' | 'photo';
  title?: string;
  creator?: string;
  file?: string;
  mime?: string;
  categories: string[];
  lat?: number;
  long?: number;
  hasCover: boolean;
}

export interface DashboardInit {
  node: SemsyncNode;
  api: NodeApi;
  startedAt: number;
  http?: () => { url: string } | undefined;
}

const KINDS: Record<string, LibraryItem['kind']> = {
  'https://w3id.org/semsync/ns#EBook': 'ebook',
  'http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#MusicPiece': 'music',
  'http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#Image': 'photo',
};

const LIBRARY_QUERY = `SELECT ?c ?type ?title ?creator ?file ?mime ?cat ?lat ?long ?cover WHERE {
  VALUES ?type { ss:EBook nmm:MusicPiece nfo:Image }
  ?c a ?type .
  OPTIONAL { ?c dcterms:title ?title }
  OPTIONAL { ?c dcterms:creator/foaf:name ?creator }
  OPTIONAL { ?file nie:interpretedAs ?c . OPTIONAL { ?file nie:mimeType ?mime } }
  OPTIONAL { ?c ss:category ?cat }
  OPTIONAL { ?c geo:lat ?lat ; geo:long ?long }
  OPTIONAL { ?c ss:hasCover ?cover }
} LIMIT 20000`;

export class DashboardState {
  /** Recent device events (attached, unclaimed, placed, failed), newest last: placement progress for the page. */
  readonly activity: Array<DeviceEvent & { at: string }> = [];
  /** Dry runs per device, until the graph changes (the store's next commit clears them). */
  private readonly previews = new Map<string, Promise<PreviewAnswer>>();
  /** Stops listening to the store's commits (set once a preview was asked for). */
  private offCommit: (() => void) | undefined;

  /** Conflicts, recent changes with undo, and the "add" forms. */
  readonly views: DashboardViews;
  /** Contacts and calendars: search, a record's fields, history and where it may go. */
  readonly records: DashboardRecords;
  /** A new device's and a new peer's prompt: what is it? */
  readonly prompts: DashboardPrompts;

  constructor(readonly init: DashboardInit) {
    this.views = new DashboardViews(init.node, init.api);
    this.records = new DashboardRecords(init.node, init.api);
    this.prompts = new DashboardPrompts(init.api);
  }

  /** Call `fn` after each commit to the graph (local or a peer's); returns the function that stops it. */
  onCommit(fn: () => void): () => void {
    return this.init.node.store.events.on('commit', fn);
  }

  /** Stop listening to the store (the dashboard closed). */
  close(): void {
    this.offCommit?.();
    this.offCommit = undefined;
    this.previews.clear();
    this.views.close();
  }

  /** Follows a DeviceWatch's 'device' events. */
  deviceEvent(e: DeviceEvent): void {
    this.activity.push({ ...e, summary: undefined, ...(e.summary ? { placed: { copied: e.summary.copied, removed: e.summary.removed, errors: e.summary.errors.length } } : {}), at: new Date().toISOString() });
    if (this.activity.length > 20) this.activity.shift();
  }

  async peers(): Promise<PeerEntry[]> {
    return this.init.api.peerList().catch(() => []);
  }

  async devices(): Promise<DeviceRow[]> {
    return this.init.api.deviceList().catch(() => []);
  }

  /** Everything but the library: small, sent on every change. */
  async state(): Promise<Record<string, unknown>> {
    const status = await this.init.api.status();
    const [peers, devices] = await Promise.all([this.peers(), this.devices()]);
    const grants: Record<string, string[]> = {};
    for (const p of peers) for (const g of p.grants) (grants[g] ??= []).push(p.peerId);
    return {
      node: { nodeId: status.nodeId, home: status.home, statements: status.statements, uptimeSeconds: Math.round((Date.now() - this.init.startedAt) / 1000), http: this.init.http?.()?.url },
      shares: status.shares.map((s) => ({ ...s, grantedTo: grants[s.name] ?? [] })),
      peers: { nearby: peers.filter((p) => p.state === 'nearby'), paired: peers.filter((p) => p.state !== 'nearby') },
      devices,
      davClients: await davClientRows(this.init.api),
      activity: this.activity,
      versionVector: status.versionVector,
      dav: await davDashboard(this.init.node, this.init.http?.()?.url).catch(() => null),
    };
  }

  /** What placing onto a device would do now (a dry run), cached until the graph changes. */
  preview(deviceId: string): Promise<PreviewAnswer> {
    this.offCommit ??= this.onCommit(() => this.previews.clear());
    const have = this.previews.get(deviceId);
    if (have) return have;
    const value = this.init.api.place(deviceId, { dryRun: true }).then(
      (p: PlaceSummary) => ({ ok: true as const, planned: p.planned, bytes: p.bytes, sample: p.operations.slice(0, 8).map((o) => `${o.kind} ${o.target}`), skipped: p.skipped.length }),
      (err: Error) => ({ ok: false as const, error: err.message }),
    );
    this.previews.set(deviceId, value);
    return value;
  }

  /** Contents with their kind, title, creator, categories, position, and whether a cover can be served. */
  library(): LibraryItem[] {
    const out = this.init.node.store.query(LIBRARY_QUERY);
    if (out.kind !== 'bindings') return [];
    const byContent = new Map<string, LibraryItem>();
    const v = (t: Term | undefined) => t?.value;
    for (const r of out.rows) {
      const content = v(r.c)!;
      const kind = KINDS[v(r.type)!];
      let item = byContent.get(content);
      if (!item) {
        item = { content, hash: content.replace(/^urn:sha256:/, ''), kind, categories: [], hasCover: false };
        byContent.set(content, item);
      }
      item.title ??= v(r.title);
      item.creator ??= v(r.creator);
      const file = v(r.file);
      if (file && (!item.file || (file.startsWith('file:') && !item.file.startsWith('file:')))) {
        item.file = file;
        item.mime = v(r.mime);
      }
      const cat = v(r.cat);
      if (cat) {
        const label = decodeURIComponent(cat.slice(cat.lastIndexOf('/') + 1));
        if (!item.categories.includes(label)) item.categories.push(label);
      }
      if (r.lat && r.long && item.lat === undefined) {
        item.lat = Number(r.lat.value);
        item.long = Number(r.long.value);
      }
      if (v(r.cover) === 'true' || (kind === 'photo' && item.mime && SHOWN_IMAGES.has(item.mime))) item.hasCover = true;
    }
    return [...byContent.values()];
  }

  /** The cover of a content, read from one of its files that sits in one of this node's shares. */
  async cover(hash: string): Promise<Cover | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    const out = this.init.node.store.query(`SELECT ?file ?mime WHERE { ?file nie:interpretedAs <urn:sha256:${hash}> OPTIONAL { ?file nie:mimeType ?mime } }`);
    if (out.kind !== 'bindings') return undefined;
    const roots = this.init.node.config.shares.map((s) => s.path + path.sep);
    for (const r of out.rows) {
      if (!r.file?.value.startsWith('file:')) continue;
      const local = fileURLToPath(r.file.value);
      if (!roots.some((root) => local.startsWith(root))) continue; // only files this node shares
      const cover = await readCover(local, r.mime?.value).catch(() => undefined);
      if (cover) return cover;
    }
    return undefined;
  }

  async pair(peerId: string, name?: string): Promise<unknown> {
    return this.init.api.pair(peerId, { name });
  }

  async unpair(peerId: string): Promise<unknown> {
    return this.init.api.unpair(peerId);
  }

  async grant(share: string, peerId: string, on: boolean): Promise<unknown> {
    return on ? this.init.api.shareGrant(share, peerId) : this.init.api.shareRevoke(share, peerId);
  }

  async claim(deviceId: string, name?: string): Promise<unknown> {
    return this.init.api.deviceClaim(deviceId, { name });
  }

  /** "Sync now" for a CalDAV/CardDAV account (`semsync dav sync NAME`). */
  async davClientSync(name: unknown): Promise<unknown> {
    return davClientSync(this.init.api, name);
  }
}

export type PreviewAnswer = { ok: true; planned: PlaceSummary['planned']; bytes: number; sample: string[]; skipped: number } | { ok: false; error: string };
