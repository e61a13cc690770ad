// Matching metadata values against rules: spelling-insensitive subject keys, heading components, dates.

/**
 * The key a subject or genre is compared by: accents, case, spaces and punctuation ignored, so "Science
 * Fiction", "science-fiction" and "SCIENCE FICTION" are all `sciencefiction`, and "Sci-Fi" is `scifi`.
 */
export function subjectKey(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * The keys a subject is matched by: the whole value and each component of a heading, so BISAC
 * "FICTION / Science Fiction / General", LCSH "Science fiction -- History and criticism" and
 * "Mystery, Thriller & Suspense" each match their parts.
 */
export function subjectKeys(s: string): string[] {
  const keys = new Set<string>([subjectKey(s)]);
  for (const part of s.split(/\s*(?:\/|;|\||--|,|>)\s*/u)) keys.add(subjectKey(part));
  keys.delete('');
  return [...keys];
}

/** A genre or subject as a category label: clean white space; all-lower or all-upper text in Title Case. */
export function labelFromValue(s: string): string {
  const clean = s.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (clean !== clean.toLowerCase() && clean !== clean.toUpperCase()) return clean;
  return clean.toLowerCase().replace(/(^|[\s\-/&(])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

/** Year, month and day of an `xsd:date`/`xsd:dateTime`/`xsd:gYear` lexical form ('' where absent). */
export function dateParts(value: string | undefined): { year: string; month: string; day: string } {
  const m = /^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/u.exec(value ?? '');
  if (!m) return { year: '', month: '', day: '' };
  const month = m[2] && Number(m[2]) >= 1 && Number(m[2]) <= 12 ? m[2] : '';
  const day = month && m[3] && Number(m[3]) >= 1 && Number(m[3]) <= 31 ? m[3] : '';
  return { year: m[1], month, day };
}
