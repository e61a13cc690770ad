// `semsync conflicts [--json]` and `semsync conflicts resolve ID --keep mine|theirs|VALUE`: open PIM conflicts and file
// descriptions two nodes disagree on, settled as ordinary edits; `semsync edit PATH FIELD VALUE`, a person's edit of a
// file description (the same edit a settled file conflict writes).
import type { Command } from 'commander';
import path from 'node:path';
import type { ConflictEntry, ConflictResolution, FileEditResult } from '../app/index.js';
import { globals, withApi } from './context.js';
import { printJson, UsageError } from './output.js';

const json = (opts: { json?: boolean }, cmd: Command) => Boolean(opts.json || globals(cmd).json);

export function conflictsText(list: ConflictEntry[]): string {
  if (!list.length) return 'no open conflicts';
  const lines: string[] = [];
  for (const c of list) {
    if (c.kind === 'file') {
      lines.push(`${c.id}  file ${c.uid} (${c.item}), ${c.field}:`);
      for (const p of c.paths ?? []) lines.push(`    ${p}`);
      for (const s of c.sides) lines.push(`  ${s.shown ? '*' : ' '} ${JSON.stringify(s.value)}  ${s.via === 'scan' ? 'read by the scan of' : 'edited by'} ${s.by}${s.by === s.node || s.mine ? '' : ` (${s.node})`}${s.time ? `, ${s.time}` : ''}${s.mine ? ' (mine)' : ''}`);
      continue;
    }
    lines.push(`${c.id}  ${c.kind === 'contacts' ? 'contact' : 'calendar item'} ${c.uid}, ${c.field}:`);
    for (const s of c.sides) lines.push(`  ${s.shown ? '*' : ' '} ${JSON.stringify(s.value)}  by ${s.via ? `the server ${s.via}` : s.by}${s.by === s.node || s.mine || s.via ? '' : ` (${s.node})`}, ${s.time || s.rev}${s.mine ? ' (mine)' : ''}`);
  }
  lines.push('(* shown meanwhile: the later edit) settle one with `semsync conflicts resolve ID --keep mine|theirs|VALUE`');
  return lines.join('\n');
}

export function resolutionText(r: ConflictResolution): string {
  return r.written ? `settled ${r.id}: ${r.field} of ${r.item} is ${JSON.stringify(r.kept)} (an ordinary edit: it syncs)` : `${r.id}: nothing to write`;
}

export function editText(r: FileEditResult): string {
  return r.written ? `${r.field} of ${r.content} is ${JSON.stringify(r.kept)} (an edit: it syncs to every paired node)` : `${r.field} of ${r.content}: nothing to write`;
}

export function registerConflictsCommands(program: Command): void {
  program
    .command('edit <path> <field> <value>')
    .description('edit a described file\'s title, creator (`A; B`), date, language, publisher or description; the edit syncs to every paired node')
    .option('--json', 'print JSON: {content, field, kept, written}')
    .action(async (file: string, field: string, value: string, opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const r = await api.describeEdit(file.startsWith('urn:sha256:') ? file : path.resolve(file), field, value);
        if (json(opts, cmd)) return printJson(r);
        console.log(editText(r));
      });
    });
  const conflicts = program
    .command('conflicts')
    .description('open conflicts: a field of a contact, a calendar item or a file description two nodes set apart, with both values, which node and when')
    .option('--json', 'print JSON: [{id, kind, item, uid, field, paths, sides: [{value, node, by, rev, time, via, mine, shown, paths}]}] (kind "file": item is the content, paths its files)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withApi(cmd, async (api) => {
        const list = await api.conflicts();
        if (json(opts, cmd)) return printJson(list);
        console.log(conflictsText(list));
      });
    });
  conflicts
    .command('resolve <id>')
    .description('settle a conflict: keep this node\'s value (mine), the other node\'s (theirs), or a value of your own; an ordinary edit that syncs')
    .requiredOption('--keep <what>', 'mine | theirs | VALUE (the field\'s value as its vCard/iCalendar text; a file\'s creators as `A; B`)')
    .option('--json', 'print JSON: {id, item, field, kept, written}')
    .action(async (id: string, opts: { keep: string; json?: boolean }, cmd: Command) => {
      if (!opts.keep.length) throw new UsageError('--keep: give mine, theirs or a value');
      await withApi(cmd, async (api) => {
        const r = await api.conflictResolve(id, opts.keep);
        if (json(opts, cmd)) return printJson(r);
        console.log(resolutionText(r));
      });
    });
}
