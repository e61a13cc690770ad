// Categorisation: category rules applied to the facts of every content (one pass, values matched once each).
import n3 from 'n3';
import type { Quad } from '@rdfjs/types';
import { RDF, RDFS, SS, categoryIri } from '../graph/vocab.js';
import type { MediaKind } from './types.js';
import { RuleEvaluationError } from './errors.js';
import { type ContentFacts, type RuleGraph, fetchFacts, whereMatches } from './graph.js';
import { KINDS, cmp, type CategoryRule, type Rules } from './load.js';
import { dateParts, labelFromValue, subjectKeys } from './match.js';

/** A category given to a content, with the rule that gave it. */
export interface Assigned {
  label: string;
  rule: string;
  priority: number;
}

/**
 * The categories of every ebook, music piece and photo in the graph, by content IRI, the primary one first
 * (highest rule priority, then label order). Contents no rule matched are absent.
 */
export function categorise(graph: RuleGraph, rules: Rules): Map<string, string[]> {
  const facts = fetchFacts(graph, KINDS);
  const out = new Map<string, string[]>();
  for (const [iri, list] of categoriseFacts(graph, facts, rules)) out.set(iri, list.map((a) => a.label));
  return out;
}

/** `content ss:category <category>` and `<category> a ss:Category; rdfs:label "..."` for a categorisation. */
export function categoryQuads(categories: Map<string, string[]>): Quad[] {
  const { quad, namedNode, literal } = n3.DataFactory;
  const out: Quad[] = [];
  const labels = new Set<string>();
  for (const [content, list] of [...categories].sort((a, b) => cmp(a[0], b[0]))) {
    for (const label of list) {
      out.push(quad(namedNode(content), SS('category'), categoryIri(label)));
      labels.add(label);
    }
  }
  for (const label of [...labels].sort(cmp)) {
    out.push(quad(categoryIri(label), RDF('type'), SS('Category')));
    out.push(quad(categoryIri(label), RDFS('label'), literal(label)));
  }
  return out;
}

/** Categorise already fetched facts; `ss:where` rules cost one query each. */
export function categoriseFacts(
  graph: RuleGraph,
  facts: ReadonlyMap<string, ContentFacts>,
  rules: Rules,
): Map<string, Assigned[]> {
  const byKind = new Map<MediaKind, { main: CategoryRule[]; fallback: CategoryRule[] }>();
  for (const r of rules.categoryRules) {
    let k = byKind.get(r.kind);
    if (!k) byKind.set(r.kind, (k = { main: [], fallback: [] }));
    (r.fallback ? k.fallback : k.main).push(r);
  }
  const kindsPresent = new Set([...facts.values()].map((f) => f.kind));
  const where = new Map<CategoryRule, Set<string>>();
  for (const r of rules.categoryRules) {
    if (r.where === undefined || !kindsPresent.has(r.kind)) continue;
    try {
      where.set(r, whereMatches(graph, r.kind, r.where));
    } catch (err) {
      throw new RuleEvaluationError(r.iri, r.file, (err as Error).message);
    }
  }
  // A value (subject, genre, place) is matched against each rule once, however many contents carry it.
  const valueCache = new Map<CategoryRule, Map<string, boolean>>();
  const valueMatches = (r: CategoryRule, v: string): boolean => {
    let cache = valueCache.get(r);
    if (!cache) valueCache.set(r, (cache = new Map()));
    let hit = cache.get(v);
    if (hit === undefined) {
      hit = subjectKeys(v).some((k) => r.matches.has(k)) || r.patterns.some((p) => p.test(v));
      cache.set(v, hit);
    }
    return hit;
  };
  const out = new Map<string, Assigned[]>();
  for (const f of facts.values()) {
    const set = byKind.get(f.kind);
    if (!set) continue;
    const values = f.kind === 'photo' ? [...f.values.subject, ...f.values.genre, ...f.values.place] : [...f.values.subject, ...f.values.genre];
    let assigned = collect(set.main, f, values, valueMatches, where);
    if (assigned.length === 0) assigned = collect(set.fallback, f, values, valueMatches, where);
    if (assigned.length > 0) out.set(f.iri, assigned);
  }
  return out;
}

function collect(
  rules: CategoryRule[],
  f: ContentFacts,
  values: string[],
  valueMatches: (r: CategoryRule, v: string) => boolean,
  where: Map<CategoryRule, Set<string>>,
): Assigned[] {
  let best: Map<string, Assigned> | undefined;
  for (const r of rules) {
    const valueRule = r.matches.size > 0 || r.patterns.length > 0;
    if (valueRule && !values.some((v) => valueMatches(r, v))) continue;
    if (r.where !== undefined && !where.get(r)?.has(f.iri)) continue;
    const labels = r.category ? [r.category] : derive(r, f, valueRule ? values.filter((v) => valueMatches(r, v)) : undefined);
    for (const label of labels) {
      if (label === '') continue;
      best ??= new Map();
      const seen = best.get(label);
      if (!seen || r.priority > seen.priority) best.set(label, { label, rule: r.iri, priority: r.priority });
    }
  }
  if (!best) return [];
  return [...best.values()].sort((a, b) => b.priority - a.priority || cmp(a.label, b.label));
}

/** Categories taken from the content itself (`ss:categoryFrom`). */
function derive(r: CategoryRule, f: ContentFacts, matched: string[] | undefined): string[] {
  const date = dateParts(f.values.date[0]);
  switch (r.from) {
    case 'genre':
      return (matched ?? f.values.genre).filter((v) => f.values.genre.includes(v)).map(labelFromValue);
    case 'subject':
      return (matched ?? f.values.subject).filter((v) => f.values.subject.includes(v)).map(labelFromValue);
    case 'year':
      return date.year ? [date.year] : [];
    case 'month':
      return date.month ? [`${date.year}-${date.month}`] : [];
    case 'place':
      return (matched ?? f.values.place).filter((v) => f.values.place.includes(v)).map(labelFromValue);
    default:
      return [];
  }
}
