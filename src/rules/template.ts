// Placement templates: `{field}` placeholders in '/'-separated segments, rendered with documented fallbacks.

/**
 * The fields a template may name (case-insensitive), and what each falls back to when the metadata lacks it.
 * An empty fallback means "leave it out": the field disappears together with the separator next to it
 * (`{track} - {title}` without a track is `Title`), and a folder segment that renders empty is dropped
 * (`{year}/{month}` without a month is `2023/`).
 */
export const FIELDS = {
  kind: '',
  category: 'Uncategorized',
  title: '', // falls back to the file name without extension, then 'Untitled'
  creator: 'Unknown Author', // ebooks: the authors; music: the artist
  author: 'Unknown Author',
  artist: 'Unknown Artist',
  albumartist: '', // falls back to the artist, then 'Unknown Artist'
  album: 'Unknown Album',
  track: '', // two digits: '07'
  disc: '',
  genre: 'Unknown Genre',
  year: 'Unknown',
  month: '', // two digits
  day: '',
  place: 'Unknown Place',
  language: '',
  series: '',
  seriesindex: '',
  filename: '', // the original file name, extension included
  basename: '', // the original file name without extension
  ext: '', // lower case, without the dot
} as const;

export type Field = keyof typeof FIELDS;
export type TemplatePart = { literal: string } | { field: Field };
/** One path segment of a template: literals and fields. */
export type TemplateSegment = TemplatePart[];

export function isField(name: string): name is Field {
  return Object.prototype.hasOwnProperty.call(FIELDS, name);
}

/** Parse a template; throws an Error whose message says what is wrong (the loader adds file and line). */
export function parseTemplate(template: string): TemplateSegment[] {
  if (template.trim() === '') throw new Error('the template is empty');
  if (/^[/\\]|^[A-Za-z]:/u.test(template)) throw new Error(`the template "${template}" is absolute; make it relative`);
  return template.split('/').map((raw) => {
    if (raw === '' ) throw new Error(`the template "${template}" has an empty segment ('//' or a trailing '/')`);
    if (raw === '.' || raw === '..') throw new Error(`the template "${template}" has a "${raw}" segment`);
    const parts: TemplatePart[] = [];
    const re = /\{([^{}]*)\}/gu;
    let last = 0;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      if (m.index > last) parts.push({ literal: raw.slice(last, m.index) });
      const name = m[1].trim().toLowerCase();
      if (!isField(name)) {
        throw new Error(`unknown field {${m[1]}} in "${template}"; known fields: ${Object.keys(FIELDS).join(', ')}`);
      }
      parts.push({ field: name });
      last = m.index + m[0].length;
    }
    if (last < raw.length) parts.push({ literal: raw.slice(last) });
    if (parts.some((p) => 'literal' in p && /[{}]/u.test(p.literal))) {
      throw new Error(`unbalanced brace in "${template}"`);
    }
    return parts;
  });
}

/** The fields a parsed template names, in order of first use. */
export function templateFields(segments: TemplateSegment[]): Field[] {
  const out: Field[] = [];
  for (const seg of segments) for (const p of seg) if ('field' in p && !out.includes(p.field)) out.push(p.field);
  return out;
}

/**
 * Render one segment with `values` (fallbacks already applied). An empty field takes the literal separator
 * after it (or, at the end, the one before it) with it, so no dangling " - " or "." remains.
 */
export function renderSegment(segment: TemplateSegment, values: Partial<Record<Field, string>>): string {
  // Every field has a value (the common case): nothing is dropped, the parts are joined as they are.
  let out = '';
  for (const p of segment) {
    if ('literal' in p) out += p.literal;
    else {
      const v = values[p.field];
      if (v === undefined || v === '') return renderDropping(segment, values);
      out += v;
    }
  }
  return out;
}

function renderDropping(segment: TemplateSegment, values: Partial<Record<Field, string>>): string {
  const parts: Array<{ text: string; field: boolean; drop: boolean }> = segment.map((p) =>
    'field' in p ? { text: values[p.field] ?? '', field: true, drop: false } : { text: p.literal, field: false, drop: false },
  );
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i].field || parts[i].text !== '') continue;
    const next = parts[i + 1];
    const prev = parts[i - 1];
    const hasFieldAfter = parts.slice(i + 2).some((p) => p.field && !p.drop);
    const hasFieldBefore = parts.slice(0, Math.max(0, i - 1)).some((p) => p.field && !p.drop);
    if (next && !next.field && !next.drop && hasFieldAfter && (!prev || prev.field || prev.drop)) next.drop = true;
    else if (prev && !prev.field && !prev.drop && hasFieldBefore) prev.drop = true;
    else if (next && !next.field && !next.drop && hasFieldAfter) next.drop = true;
  }
  return parts
    .filter((p) => !p.drop)
    .map((p) => p.text)
    .join('');
}
