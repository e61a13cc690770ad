// A .vcf file's bytes → one item per VCARD: lines (pre-pass), ical.js parse, quads; each item's problems kept apart.
import type { NamedNode, Quad } from '@rdfjs/types';
import { RDF, SS, VCARD } from '../../graph/vocab.js';
import { logicalLines, splitBlocks, blockText, type ContentLine } from '../ical/lines.js';
import { parseComponent } from '../ical/parse.js';
import { QuadList, namedNode, renameItem, sha256Hex } from '../ical/quads.js';
import { contactIri, mapContact } from './map.js';
import { prepassLine } from './prepass.js';

/** One contact read from a file. */
export interface PimItem {
  iri: NamedNode;
  /** Quads about the item (and its parts: name, addresses). */
  quads: Quad[];
  /** Problems with this item; its quads hold what could be read. */
  errors: string[];
  /** The item's canonical text (unfolded, pre-passed lines joined with LF), stored as ss:sourceText. */
  sourceText: string;
  /** 1-based line of its BEGIN in the file. */
  line: number;
}

export interface PimRead {
  items: PimItem[];
  /** Problems outside any one item (stray lines, a truncated file). */
  errors: string[];
}

/** Reads every VCARD of a .vcf file. Never throws. */
export function readVcards(bytes: Uint8Array): PimRead {
  const errors: string[] = [];
  const lines = logicalLines(bytes).map((raw) => prepassLine(raw, errors));
  const { blocks, errors: blockErrors } = splitBlocks(lines);
  errors.push(...blockErrors);
  const items: PimItem[] = [];
  const used = new Set<string>();
  for (const b of blocks) {
    if (b.name !== 'VCARD') {
      errors.push(`line ${b.lines[0].line}: BEGIN:${b.name} is not a vCard, skipped`);
      continue;
    }
    const item = readVcardLines(b.lines);
    if (used.has(item.iri.value)) {
      const again = namedNode(`${item.iri.value}/dup-${sha256Hex(item.sourceText).slice(0, 16)}`);
      item.errors.push(`UID already used by an earlier vCard in this file: kept as ${again.value}`);
      item.quads = renameItem(item.quads, item.iri, again);
      item.iri = again;
    }
    used.add(item.iri.value);
    items.push(item);
  }
  return { items, errors };
}

/** Reads one vCard from its (pre-passed) lines, BEGIN and END included. */
export function readVcardLines(lines: readonly ContentLine[]): PimItem {
  const errors: string[] = [];
  const sourceText = blockText(lines);
  // ical.js picks vCard 4 rules only when VERSION:4.0 is the first property: put VERSION first for parsing.
  const version = lines.find((l) => /^VERSION:/i.test(l.text));
  const body = lines.filter((l) => l !== version);
  const ordered = version ? [body[0], version, ...body.slice(1)] : [...body];
  const design = version && /:\s*4\.0\s*$/.test(version.text) ? 'vcard' : 'vcard3';
  const card = parseComponent(ordered, design, errors);
  const iri = contactIri(card, sourceText);
  const q = new QuadList();
  if (card) mapContact(q, iri, card, sourceText, errors);
  else {
    q.add(iri, RDF('type'), VCARD('Individual'));
    q.text(iri, SS('sourceText'), sourceText);
  }
  const line = lines[0]?.line ?? 0;
  return { iri, quads: q.quads, errors: errors.map((e) => `vCard at line ${line}: ${e}`), sourceText, line };
}
