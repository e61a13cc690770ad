// `semsync history ITEM|PATH` and `semsync undo CHANGE | --peer ID --since TIME`: a record's changes, and reverting them.
import type { Command } from 'commander';
import { PREFIXES } from '../graph/vocab.js';
import type { HistoryAnswer } from '../app/index.js';
import type { UndoReport } from '../app/index.js';
import { globals, withApi } from './context.js';
import { printJson, UsageError } from './output.js';

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);
/** Bookkeeping left out of the text (shown with --json): an item's revision and its source text. */
const HIDDEN = new Set(['https://w3id.org/semsync/ns#revision', 'https://w3id.org/semsync/ns#sourceText', 'https://w3id.org/semsync/ns#fieldClocks']);
const SHOWN_ITEMS = 20;

/** History and undo mistakes the node raised are usage errors (exit 2). */
async function asUsage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'HistoryError') throw new UsageError((err as Error).message);
    throw err;
  }
}

function short(iri: string): string {
  for (const [p, ns] of Object.entries(PREFIXES)) if (iri.startsWith(ns) && iri.length > ns.length) return `${p}:${iri.slice(ns.length)}`;
  return iri;
}

/** An N-Triples object as a person reads it: a literal's text in quotes, an IRI bare. */
function value(nt: string): string {
  if (nt.startsWith('<')) return short(nt.slice(1, -1));
  return nt.replace(/\^\^<[^>]*>$/, '');
}

/** The channel as a person reads it: `dav (account/collection)`, `peer (via dav:… there)`, `local`. */
function channelText(e: HistoryAnswer['entries'][number]): string {
  if (!e.via || e.via === e.channel || e.via === 'local') return e.channel;
  if (e.channel === 'peer') return `peer (through ${e.via} there)`;
  return e.via.startsWith(`${e.channel}:`) ? `${e.channel} (${e.via.slice(e.channel.length + 1)})` : `${e.channel} (${e.via})`;
}

export function historyText(h: HistoryAnswer): string {
  const lines: string[] = [`history of ${h.record.join(', ')}`];
  if (!h.complete) lines.push('(from the change log and its retained history: older changes are not kept)');
  if (h.omitted) lines.push(`(${h.omitted} older change(s) left out by --limit)`);
  if (!h.entries.length) lines.push('no changes in the change log');
  for (const e of h.entries) {
    lines.push(`${e.time}  ${e.change}  by ${e.by}${e.by === e.author || e.by === 'this node' ? '' : ` (${e.author})`}, ${channelText(e)}`);
    for (const f of e.fields) {
      if (HIDDEN.has(f.predicate)) continue;
      const where = h.record.includes(f.subject) ? '' : `${h.record.find((r) => f.subject.startsWith(r + '/')) ? f.subject.slice(f.subject.lastIndexOf('/')) : f.subject} `;
      const name = `${where}${short(f.predicate)}`;
      if (f.from.length === 1 && f.to.length === 1) lines.push(`  ${name}: ${value(f.from[0])} → ${value(f.to[0])}`);
      else {
        for (const v of f.from) lines.push(`  - ${name}: ${value(v)}`);
        for (const v of f.to) lines.push(`  + ${name}: ${value(v)}`);
      }
    }
  }
  return lines.join('\n');
}

export function undoText(r: UndoReport): string {
  const verb = r.dryRun ? 'would' : 'did';
  const lines: string[] = [`${r.dryRun ? 'dry run: ' : ''}undo of ${r.changes.length} change(s): ${r.changes.slice(0, 5).join(', ')}${r.changes.length > 5 ? ', …' : ''}`];
  const restored = r.items.filter((i) => i.action === 'restore');
  const deleted = r.items.filter((i) => i.action === 'delete');
  lines.push(`${verb} restore ${restored.length} item(s), delete ${deleted.length} item(s), put back ${r.added} and take out ${r.removed} other statement(s)`);
  for (const i of r.items.slice(0, SHOWN_ITEMS)) lines.push(`  ${i.action} ${i.item}${i.from ? ` (as ${i.from} had it)` : ''}`);
  if (r.items.length > SHOWN_ITEMS) lines.push(`  … and ${r.items.length - SHOWN_ITEMS} more (--json lists all)`);
  if (r.skipped.length) lines.push(`left alone: ${r.skipped.length}`);
  for (const s of r.skipped.slice(0, SHOWN_ITEMS)) lines.push(`  ${s.change} ${s.subject}${s.predicate ? ` ${short(s.predicate)}` : ''}: ${s.reason}`);
  if (r.skipped.length > SHOWN_ITEMS) lines.push(`  … and ${r.skipped.length - SHOWN_ITEMS} more (--json lists all)`);
  if (r.commit) lines.push(`committed as ${r.commit} (an ordinary change: it syncs, and can itself be undone)`);
  else if (!r.dryRun) lines.push('nothing left to undo');
  return lines.join('\n');
}

export function registerHistoryCommands(program: Command): void {
  program
    .command('history <record>')
    .description('the changes to one contact or event (UID or IRI) or file (a path) in the change log: what, by which node, when, through what (local, import, undo, dav, device, scan, peer)')
    .option('--json', 'print JSON: {record, entries: [{change, author, by, seq, hlc, time, channel, via, fields: [{subject, predicate, graph, from, to}]}], omitted, complete}')
    .option('--limit <n>', 'only the newest N changes')
    .action(async (record: string, opts: { json?: boolean; limit?: string }, cmd: Command) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new UsageError(`--limit ${opts.limit}: not a whole number`);
      await withApi(cmd, async (api) => {
        const h = await asUsage(() => api.history(record, process.cwd(), limit));
        if (json(opts, cmd)) return printJson(h);
        console.log(historyText(h));
      });
    });
  program
    .command('undo [change]')
    .description('revert one change (NODE:SEQ, as history prints it), or everything one node did since a time (--peer, --since), as one ordinary local change that syncs; what later changes superseded is left alone and reported')
    .option('--peer <id>', "a node's id or paired name (this node's own id too), or dav:ACCOUNT (a CalDAV/CardDAV account's syncs) or device:dav/ACCOUNT (a phone through this node's DAV server)")
    .option('--since <time>', 'with --peer: an ISO date or a span ago (30m, 2h, 7d)')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--json', 'print JSON: {dryRun, changes, items: [{item, action, from}], added, removed, skipped: [{change, subject, predicate, graph, reason}], commit}')
    .action(async (change: string | undefined, opts: { peer?: string; since?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      if (change ? opts.peer || opts.since : !(opts.peer && opts.since)) throw new UsageError('give a change (NODE:SEQ), or --peer ID with --since TIME');
      await withApi(cmd, async (api) => {
        const r = await asUsage(() => (change ? api.undo(change, { dryRun: opts.dryRun }) : api.undoPeer(opts.peer!, opts.since!, { dryRun: opts.dryRun })));
        if (json(opts, cmd)) return printJson(r);
        console.log(undoText(r));
      });
    });
}
