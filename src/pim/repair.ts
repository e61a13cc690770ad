// What servers refuse, repaired or dropped (with the reason) before an item leaves for a CalDAV/CardDAV server: a missing
// UID, a VTIMEZONE without DTSTART, broken base64, property names with illegal characters, escapes in parameter values.
import { colonIndex, foldLine, valueOf } from '../extractors/index.js';
import type { PimKindName } from './store.js';
import { ianaVtimezone } from './vtimezone.js';

export interface Repaired {
  text: string;
  /** What was changed or dropped, and why. */
  notes: string[];
}

const NAME = /^(?:[A-Za-z0-9-]+\.)?[A-Za-z0-9-]+$/;
const ITEMS = new Set(['VCARD', 'VEVENT', 'VTODO', 'VJOURNAL']);

interface Split {
  name: string;
  params: string[];
  value: string;
}

/** name;params:value, where a backslash in an unquoted parameter value escapes the next character (as Apple writes it). */
function split(line: string): Split | undefined {
  let i = 0;
  while (i < line.length && line[i] !== ';' && line[i] !== ':') i++;
  const name = line.slice(0, i);
  const params: string[] = [];
  while (line[i] === ';') {
    i++;
    let p = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const ch = line[i];
      if (ch === '"') quoted = !quoted;
      else if (!quoted && ch === '\\' && i + 1 < line.length) {
        p += ch + line[++i];
        continue;
      } else if (!quoted && (ch === ';' || ch === ':')) break;
      p += ch;
    }
    params.push(p);
  }
  return line[i] === ':' ? { name, params, value: line.slice(i + 1) } : undefined;
}

/** A parameter value with backslash escapes (invalid in iCalendar and vCard) unescaped, and quoted when it must be. */
function fixParam(p: string): string {
  const eq = p.indexOf('=');
  if (eq < 0) return p;
  const v = p.slice(eq + 1);
  if (v.startsWith('"') || !v.includes('\\')) return p;
  const plain = v.replace(/\\([;:,\\"])/g, '$1');
  return `${p.slice(0, eq + 1)}${/[;:,]/.test(plain) ? `"${plain.replace(/"/g, "'")}"` : plain}`;
}

/** A base64 value, padded when only the padding is missing; undefined when it cannot be base64. */
function base64(v: string): string | undefined {
  const s = v.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  return body + '='.repeat((4 - (body.length % 4)) % 4);
}

/** One property line as servers take it, or undefined (dropped, with a note). */
function repairLine(line: string, notes: string[]): string | undefined {
  const sp = split(line);
  if (!sp) return line;
  const prop = sp.name.toUpperCase();
  if (!NAME.test(sp.name)) {
    notes.push(`dropped the property ${JSON.stringify(sp.name)}: a property name may hold only letters, digits and "-", and servers refuse the whole item over it`);
    return undefined;
  }
  const params = sp.params.map(fixParam);
  let value = sp.value;
  if (params.some((p, i) => p !== sp.params[i])) notes.push(`${prop}: backslash escapes in a parameter value replaced by a quoted value`);
  const b64 = params.some((p) => /^ENCODING=(b|base64)$/i.test(p));
  const data = /^data:[^,]*;base64,/i.exec(value);
  if (b64 || data) {
    const raw = data ? value.slice(data[0].length) : value;
    const fixed = base64(raw);
    if (fixed === undefined) {
      notes.push(`dropped ${prop}: its base64 data is damaged (${raw.replace(/\s+/g, '').length} characters), servers refuse the whole item over it`);
      return undefined;
    }
    value = data ? data[0] + fixed : fixed;
  }
  return [sp.name, ...params].join(';') + ':' + value;
}

/** A VTIMEZONE whose STANDARD/DAYLIGHT parts lack DTSTART or TZOFFSETTO: replaced from IANA data, else completed. */
function repairTimezone(block: string[], notes: string[]): string[] {
  const parts: string[][] = [];
  let cur: string[] | undefined;
  for (const l of block.slice(1, -1)) {
    if (/^BEGIN:(STANDARD|DAYLIGHT)$/i.test(l)) parts.push((cur = []));
    else if (/^END:(STANDARD|DAYLIGHT)$/i.test(l)) cur = undefined;
    else cur?.push(l);
  }
  const has = (p: string[], n: string) => p.some((l) => l.toUpperCase().startsWith(n + ':') || l.toUpperCase().startsWith(n + ';'));
  if (parts.length && parts.every((p) => has(p, 'DTSTART') && has(p, 'TZOFFSETTO'))) return block;
  const tzid = block.find((l) => /^TZID[:;]/i.test(l))?.replace(/^[^:]*:/, '') ?? '';
  const iana = ianaVtimezone(tzid);
  if (iana) {
    notes.push(`VTIMEZONE ${tzid}: incomplete (no DTSTART), replaced by the IANA zone's rules`);
    return iana;
  }
  notes.push(`VTIMEZONE ${tzid}: incomplete (no DTSTART) and no IANA zone of that name: DTSTART 1970-01-01 added`);
  const out: string[] = [];
  for (const l of block) {
    out.push(l);
    if (/^BEGIN:(STANDARD|DAYLIGHT)$/i.test(l)) out.push('DTSTART:19700101T000000');
  }
  return out.filter((l, i) => !(l === 'DTSTART:19700101T000000' && /^DTSTART[:;]/i.test(out[i + 1] ?? '')));
}

/**
 * A vCard 3/4 ADR whose components hold bare commas (iOS writes `Silicon Alley 5,`): semsync reads them as text, and
 * so do EVCard and sabre, but vobject (Radicale) takes them for list separators and drops the empty part. Escaped,
 * every reader keeps them.
 */
function escapeAdrCommas(line: string, notes: string[]): string {
  const at = colonIndex(line);
  const value = line.slice(at + 1);
  const fixed = value.replace(/(?<!\\)((?:\\\\)*),/g, '$1\\,');
  if (fixed === value) return line;
  notes.push('ADR: bare commas escaped (a server would read them as list separators and drop text)');
  return line.slice(0, at + 1) + fixed;
}

/** Remembers whether a vCard has an FN, and the best stand-in from N, ORG, EMAIL or TEL (in that order). */
function noteName(top: { fn?: boolean; alt?: string; altRank?: number }, line: string): void {
  const m = /^(?:[A-Za-z0-9-]+\.)?(FN|N|ORG|EMAIL|TEL)[;:]/i.exec(line);
  if (!m) return;
  const name = m[1].toUpperCase();
  const value = valueOf(line);
  if (name === 'FN') {
    if (value.trim()) top.fn = true;
    return;
  }
  const rank = ['N', 'ORG', 'EMAIL', 'TEL'].indexOf(name);
  const text = name === 'N' ? value.split(';').slice(0, 3).reverse().filter((x) => x.trim()).join(' ') : name === 'ORG' ? value.split(';')[0] : value.replace(/^(mailto|tel):/i, '');
  if (text.trim() && (top.altRank === undefined || rank < top.altRank)) {
    top.alt = text.replace(/\\([,;\\])/g, '$1');
    top.altRank = rank;
  }
}

/** Unfolded lines of a .vcf/.ics text. */
function unfold(text: string): string[] {
  return text.replace(/\r\n|\r/g, '\n').replace(/\n[ \t]/g, '').split('\n').filter((l) => l !== '');
}

/**
 * `text` (one item as semsync exports it) made acceptable to CalDAV/CardDAV servers. Items without a UID get `uid`
 * (stable: derived from the item's IRI, so the copy that comes back is the same item).
 */
export function repairForServer(kind: PimKindName, text: string, uid: string): Repaired {
  const notes: string[] = [];
  const out: string[] = [];
  const stack: Array<{ name: string; at: number; uid: boolean; fn?: boolean; alt?: string; altRank?: number; v3?: boolean }> = [];
  let tz: string[] | undefined;
  for (const line of unfold(text)) {
    if (tz) {
      tz.push(line);
      if (/^END:VTIMEZONE$/i.test(line)) {
        out.push(...repairTimezone(tz, notes));
        tz = undefined;
      }
      continue;
    }
    const begin = /^BEGIN:(.+)$/i.exec(line);
    if (begin && begin[1].toUpperCase() === 'VTIMEZONE') {
      tz = [line];
      continue;
    }
    if (begin) {
      stack.push({ name: begin[1].toUpperCase(), at: out.length, uid: false });
      out.push(line);
      continue;
    }
    if (/^END:/i.test(line)) {
      const top = stack.pop();
      const isItem = top && ITEMS.has(top.name) && (kind === 'contacts' ? stack.length === 0 : stack.length === 1);
      if (top && isItem && !top.uid) {
        out.splice(top.at + 1, 0, `UID:${uid}`);
        notes.push(`${top.name} without a UID: given the stable UID ${uid}`);
      }
      if (top && isItem && top.name === 'VCARD' && !top.fn) {
        const fn = (top.alt ?? '').trim() || 'Unnamed';
        out.push(`FN:${fn}`);
        notes.push(`VCARD without FN (servers require one): FN ${JSON.stringify(fn)} added from its other fields`);
      }
      out.push(line);
      continue;
    }
    const top = stack[stack.length - 1];
    if (/^UID[:;]/i.test(line)) {
      if (!line.replace(/^[^:]*:/, '').trim()) continue; // an empty UID is no UID
      if (top) top.uid = true;
    }
    if (top?.name === 'VCARD') noteName(top, line);
    if (top?.name === 'VCARD' && /^VERSION:\s*[34]\.0\s*$/i.test(line)) top.v3 = true;
    const fixed = repairLine(top?.v3 && /^(?:[A-Za-z0-9-]+\.)?ADR[;:]/i.test(line) ? escapeAdrCommas(line, notes) : line, notes);
    if (fixed !== undefined) out.push(fixed);
  }
  return { text: out.map(foldLine).join(''), notes };
}
