// Reading rules files (Turtle, parsed with n3) into checked category and placement rules.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import n3 from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { RDF, RDFS, SS, cleanText } from '../graph/vocab.js';
import type { MediaKind } from './types.js';
import { RuleFileError } from './errors.js';
import { subjectKey } from './match.js';
import { parseTemplate, type TemplateSegment } from './template.js';

export const KINDS: readonly MediaKind[] = ['ebook', 'music', 'photo', 'document'];
export type DerivedFrom = 'genre' | 'subject' | 'year' | 'month' | 'place';
const DERIVED: readonly DerivedFrom[] = ['genre', 'subject', 'year', 'month', 'place'];

/** A category rule (`ss:CategoryRule`): when it matches a content of its kind, the content gets its category. */
export interface CategoryRule {
  iri: string;
  file: string;
  kind: MediaKind;
  /** The fixed category label it assigns (from `ss:category`: a literal, or an IRI with rdfs:label). */
  category?: string;
  /** Or: the category is derived from the content (`ss:categoryFrom`). */
  from?: DerivedFrom;
  /** `ss:matchesSubject` values, normalised by {@link subjectKey}. */
  matches: Set<string>;
  /** `ss:subjectPattern` values (JavaScript regular expressions, case-insensitive, Unicode). */
  patterns: RegExp[];
  /** `ss:where`: a SPARQL group graph pattern over `?content`. */
  where?: string;
  /** Applies only when no non-fallback rule of the same kind matched. */
  fallback: boolean;
  priority: number;
  /** Load order (file order, then IRI): later wins ties. */
  order: number;
}

/** A placement rule (`ss:PlacementRule`): where a content of its kind goes on a device. */
export interface PlacementRule {
  iri: string;
  file: string;
  kind: MediaKind;
  /** Leading folder segments (`ss:folder`), replaced by the device profile's folder for the kind. */
  folder: string[];
  template: string;
  segments: TemplateSegment[];
  /** Only for content in this category (`ss:forCategory`). */
  forCategory?: string;
  /** Only on the device with this id or name (`ss:forDevice`). */
  forDevice?: string;
  priority: number;
  order: number;
}

export interface Rules {
  files: string[];
  categoryRules: CategoryRule[];
  placementRules: PlacementRule[];
}

const { Parser, Store } = n3;

/** The default rules shipped with semsync (`ontologies/rules/default.ttl`), found from this module upwards. */
export function defaultRulesFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'ontologies', 'rules', 'default.ttl');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('ontologies/rules/default.ttl not found above ' + fileURLToPath(import.meta.url) + ' (is the package complete?)');
}

/** The user's own rules files: `HOME/rules/*.ttl`, sorted by name (none if the folder does not exist). */
export function userRulesFiles(home: string): string[] {
  const dir = join(home, 'rules');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ttl'))
    .sort()
    .map((f) => join(dir, f));
}

/** The defaults, then the user's rules from `home` (if given): what a node runs with. */
export function loadDefaultRules(home?: string): Rules {
  return loadRules([defaultRulesFile(), ...(home ? userRulesFiles(home) : [])]);
}

/** Parse rules files (Turtle) in order; later files add rules and win ties. Throws {@link RuleFileError}. */
export function loadRules(files: string[]): Rules {
  const categoryRules: CategoryRule[] = [];
  const placementRules: PlacementRule[] = [];
  const labels = new Map<string, string>();
  const parsed = files.map((file) => parseRuleFile(file, labels));
  const order = { next: 0 };
  for (const { file, text, store } of parsed) {
    const reader = new RuleReader(file, text, store, labels, order);
    for (const rule of store.getSubjects(RDF('type'), SS('CategoryRule'), null).sort((a, b) => cmp(a.value, b.value))) categoryRules.push(reader.categoryRule(rule));
    for (const rule of store.getSubjects(RDF('type'), SS('PlacementRule'), null).sort((a, b) => cmp(a.value, b.value))) placementRules.push(reader.placementRule(rule));
  }
  return { files: [...files], categoryRules, placementRules };
}

/** Read and parse one rules file; its rdfs:labels join `labels` (later files win). */
function parseRuleFile(file: string, labels: Map<string, string>): { file: string; text: string; store: n3.Store } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RuleFileError(file, undefined, `cannot read it: ${(err as Error).message}`);
  }
  let quads: Quad[];
  try {
    quads = new Parser({ baseIRI: pathToFileURL(resolve(file)).href, format: 'text/turtle' }).parse(text) as Quad[];
  } catch (err) {
    const e = err as Error & { context?: { line?: number } };
    throw new RuleFileError(file, e.context?.line, `not valid Turtle: ${e.message}`);
  }
  const store = new Store(quads);
  for (const q of store.getQuads(null, RDFS('label'), null, null)) {
    if (q.object.termType === 'Literal') labels.set(q.subject.value, cleanText(q.object.value));
  }
  return { file, text, store };
}

/** Reads the rules of one parsed file, with errors that name the file, the line and the rule. */
class RuleReader {
  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly store: n3.Store,
    private readonly labels: ReadonlyMap<string, string>,
    private readonly order: { next: number },
  ) {}

  private at(rule: Term, detail: string): RuleFileError {
    return new RuleFileError(this.file, lineOf(this.text, rule.value), detail, rule.value);
  }

  private one(rule: Term, prop: string): Term | undefined {
    const objects = this.store.getObjects(rule as n3.Quad_Subject, SS(prop), null);
    if (objects.length > 1) throw this.at(rule, `ss:${prop} has ${objects.length} values; give it one`);
    return objects[0];
  }

  private all(rule: Term, prop: string): string[] {
    return this.store.getObjects(rule as n3.Quad_Subject, SS(prop), null).map((o) => o.value).sort();
  }

  private label(t: Term | undefined): string | undefined {
    return t === undefined ? undefined : t.termType === 'Literal' ? cleanText(t.value) : this.labels.get(t.value) ?? iriLabel(t.value);
  }

  private common(rule: Term) {
    if (rule.termType !== 'NamedNode') {
      throw this.at(rule, 'a rule needs an IRI (e.g. <#my-rule>), so placed files can name the rule that placed them');
    }
    const kind = this.one(rule, 'kind')?.value;
    if (!kind || !(KINDS as string[]).includes(kind)) {
      throw this.at(rule, `ss:kind must be one of ${KINDS.map((k) => `"${k}"`).join(', ')} (found ${kind ? `"${kind}"` : 'none'})`);
    }
    const p = this.one(rule, 'priority');
    const priority = p ? Number(p.value) : 0;
    if (!Number.isFinite(priority)) throw this.at(rule, `ss:priority must be a number (found "${p?.value}")`);
    return { iri: rule.value, file: this.file, kind: kind as MediaKind, priority, order: this.order.next++ };
  }

  categoryRule(rule: Term): CategoryRule {
    const base = this.common(rule);
    const category = this.label(this.one(rule, 'category'));
    const fromValue = this.one(rule, 'categoryFrom')?.value;
    if (fromValue !== undefined && !(DERIVED as string[]).includes(fromValue)) {
      throw this.at(rule, `ss:categoryFrom must be one of ${DERIVED.map((d) => `"${d}"`).join(', ')} (found "${fromValue}")`);
    }
    if (!category && !fromValue) throw this.at(rule, 'it needs ss:category (what it assigns) or ss:categoryFrom');
    if (category && fromValue) throw this.at(rule, 'give it ss:category or ss:categoryFrom, not both');
    const patterns = this.all(rule, 'subjectPattern').map((src) => {
      try {
        return new RegExp(src, 'iu');
      } catch (err) {
        throw this.at(rule, `ss:subjectPattern ${JSON.stringify(src)} is not a valid regular expression: ${(err as Error).message}`);
      }
    });
    const where = this.one(rule, 'where')?.value;
    if (where !== undefined && !/\?content\b/u.test(where)) throw this.at(rule, 'ss:where must mention ?content');
    const fallback = this.one(rule, 'fallback')?.value;
    return {
      ...base,
      category,
      from: fromValue as DerivedFrom | undefined,
      matches: new Set(this.all(rule, 'matchesSubject').map(subjectKey).filter((k) => k !== '')),
      patterns,
      where,
      fallback: fallback === 'true' || fallback === '1',
    };
  }

  placementRule(rule: Term): PlacementRule {
    const base = this.common(rule);
    const template = this.one(rule, 'template')?.value;
    if (template === undefined) throw this.at(rule, 'it needs an ss:template, e.g. "{category}/{creator} - {title}.{ext}"');
    let segments: TemplateSegment[];
    try {
      segments = parseTemplate(template);
    } catch (err) {
      throw this.at(rule, (err as Error).message);
    }
    const folderText = this.one(rule, 'folder')?.value ?? '';
    const folder = folderText.split(/[/\\]/u).filter((s) => s !== '' && s !== '.');
    if (folder.includes('..')) throw this.at(rule, `ss:folder "${folderText}" must not contain ".."`);
    return { ...base, folder, template, segments, forCategory: this.label(this.one(rule, 'forCategory')), forDevice: this.one(rule, 'forDevice')?.value };
  }
}

/** A category IRI's label when the rules give none: the decoded last path segment (`.../category/SciFi`). */
function iriLabel(iri: string): string {
  const local = iri.slice(Math.max(iri.lastIndexOf('/'), iri.lastIndexOf('#')) + 1);
  try {
    return cleanText(decodeURIComponent(local));
  } catch {
    return cleanText(local);
  }
}

/** Best effort: the first line of `text` that names the rule (its local name after '#' or the last '/'). */
function lineOf(text: string, iri: string): number | undefined {
  const local = iri.slice(Math.max(iri.lastIndexOf('/'), iri.lastIndexOf('#')) + 1);
  if (local === '') return undefined;
  const lines = text.split('\n');
  const re = new RegExp(`(^|[\\s:#<])${local.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}([\\s>;,.]|$)`, 'u');
  const i = lines.findIndex((l) => re.test(l) && !l.trimStart().startsWith('#'));
  return i < 0 ? undefined : i + 1;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
