// vCard 3.0 (RFC 2426) ↔ 4.0 (RFC 6350) for clients that ask for the other version (GET Accept, CardDAV address-data):
// the common properties are rewritten, every other line is kept as it was (folding included).
import ICAL from 'ical.js';
import { extensionMime } from '../../base/index.js';
import { DavRequestError, NS } from './xml.js';

export type VcardVersion = '3.0' | '4.0';
export const VCARD_VERSIONS: VcardVersion[] = ['3.0', '4.0'];
/** RFC 6352 §10.4: address-data's version defaults to 3.0; a GET that names no version gets the same. */
export const DEFAULT_VCARD: VcardVersion = '3.0';

/** The VERSION of a vCard text (the first one); 3.0 when it has none it can be read from. */
export function vcardVersionOf(text: string): VcardVersion {
  const m = /^VERSION:[ \t]*([0-9.]+)/im.exec(text);
  return m?.[1] === '4.0' ? '4.0' : '3.0';
}

/** A content line folded at 75 octets (never inside a UTF-8 sequence), CR LF ended. */
function foldLine(line: string): string {
  const parts: string[] = [];
  let cur = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > (parts.length ? 74 : 75)) {
      parts.push(cur);
      cur = '';
      bytes = 0;
    }
    cur += ch;
    bytes += n;
  }
  parts.push(cur);
  return parts.join('\r\n ') + '\r\n';
}

interface Line {
  raw: string;
  group: string;
  name: string;
  params: Record<string, string[]>;
  value: string;
}

/** Splits an unfolded line at its first unquoted colon; parameters are read by ical.js (quoting, escapes). */
function parseLine(raw: string): Line | undefined {
  const unfolded = raw.replace(/\r?\n[ \t]/g, '');
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < unfolded.length; i++) {
    if (unfolded[i] === '"') quoted = !quoted;
    else if (unfolded[i] === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return undefined;
  const head = unfolded.slice(0, colon);
  let parsed: [string, Record<string, unknown>, ...unknown[]];
  try {
    parsed = ICAL.parse.property(`${head}:x`) as unknown as typeof parsed;
  } catch {
    return undefined;
  }
  const full = parsed[0];
  const dot = full.lastIndexOf('.');
  const params: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed[1])) {
    const list = (Array.isArray(v) ? v : [v]).map(String);
    params[k.toLowerCase()] = k.toLowerCase() === 'type' ? list.flatMap((x) => x.split(',')).filter(Boolean) : list;
  }
  // ical.js takes VALUE= out of the parameters as the value type.
  if (/;VALUE=/i.test(head)) params.value = [String(parsed[2])];
  return { raw, group: dot >= 0 ? head.slice(0, head.indexOf('.')) : '', name: full.slice(dot + 1).toUpperCase(), params, value: unfolded.slice(colon + 1) };
}

const paramValue = (v: string) => (/[;:,"]/.test(v) ? `"${v.replace(/"/g, "'")}"` : v);

function lineText(l: Line): string {
  const params = Object.entries(l.params)
    .filter(([, v]) => v.length)
    .map(([k, v]) => `;${k.toUpperCase()}=${v.map(paramValue).join(',')}`);
  return foldLine(`${l.group ? l.group + '.' : ''}${l.name}${params.join('')}:${l.value}`);
}

const MIME: Record<string, string> = Object.fromEntries(['JPEG', 'JPG', 'PNG', 'GIF', 'BMP', 'WAV', 'OGG'].map((t) => [t, extensionMime(t)!]));
const MEDIA = new Set(['PHOTO', 'LOGO', 'SOUND', 'KEY']);
const TYPED = new Set(['TEL', 'EMAIL', 'ADR', 'LABEL', 'URL', 'IMPP']);

/** 3.0 → 4.0 of one line: a replacement line, undefined to drop it, or null to keep the line as it was. */
function to4(l: Line): Line | null | undefined {
  const types = l.params.type ?? [];
  if (l.name === 'VERSION') return { ...l, params: {}, value: '4.0' };
  if (TYPED.has(l.name) && types.length) {
    const pref = types.some((t) => t.toUpperCase() === 'PREF');
    const drop = new Set(['PREF', 'INTERNET', 'X400', 'DOM', 'INTL', 'POSTAL', 'PARCEL']);
    const kept = types.filter((t) => !drop.has(t.toUpperCase())).map((t) => t.toLowerCase());
    const params: Record<string, string[]> = { ...l.params, type: kept };
    if (pref) params.pref = ['1'];
    return { ...l, params };
  }
  if (MEDIA.has(l.name)) {
    const enc = l.params.encoding?.[0]?.toUpperCase();
    if (enc === 'B' || enc === 'BASE64') {
      const t = (types[0] ?? '').toUpperCase();
      const mime = MIME[t] ?? (t.includes('/') ? t.toLowerCase() : 'application/octet-stream');
      const { encoding: _e, type: _t, ...rest } = l.params;
      return { ...l, params: rest, value: `data:${mime};base64,${l.value.replace(/\s/g, '')}` };
    }
    if (l.params.value?.[0]?.toLowerCase() === 'uri') {
      const { value: _v, ...rest } = l.params;
      return { ...l, params: rest };
    }
    return null;
  }
  if (l.name === 'BDAY' || l.name === 'ANNIVERSARY') {
    const omit = l.params['x-apple-omit-year']?.[0];
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(l.value.trim());
    if (!m) return null;
    const { 'x-apple-omit-year': _o, value: _v, ...rest } = l.params;
    return { ...l, params: rest, value: omit === m[1] ? `--${m[2]}${m[3]}` : `${m[1]}${m[2]}${m[3]}` };
  }
  if (l.name === 'X-ADDRESSBOOKSERVER-KIND') return { ...l, name: 'KIND', value: l.value.toLowerCase() };
  if (l.name === 'X-ADDRESSBOOKSERVER-MEMBER') return { ...l, name: 'MEMBER' };
  if (l.name === 'GEO') {
    const m = /^\s*(-?[\d.]+)\s*[;,]\s*(-?[\d.]+)\s*$/.exec(l.value);
    return m ? { ...l, value: `geo:${m[1]},${m[2]}` } : null;
  }
  return null;
}

/** 4.0 → 3.0 of one line (as `to4`). */
function to3(l: Line): Line | null | undefined {
  const types = l.params.type ?? [];
  if (l.name === 'VERSION') return { ...l, params: {}, value: '3.0' };
  if (TYPED.has(l.name) && (types.length || l.params.pref || l.name === 'EMAIL' || l.params.value)) {
    const { pref, ...rest } = l.params;
    const out = types.map((t) => t.toUpperCase());
    if (l.name === 'EMAIL' && !out.includes('INTERNET')) out.unshift('INTERNET');
    if (pref && !out.includes('PREF')) out.push('PREF');
    let value = l.value;
    if (l.name === 'TEL' && rest.value?.[0]?.toLowerCase() === 'uri' && /^tel:/i.test(value)) {
      value = value.slice(4);
      delete rest.value;
    }
    return { ...l, params: { ...rest, type: out }, value };
  }
  if (MEDIA.has(l.name)) {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/is.exec(l.value);
    if (m?.[2]) {
      const t = Object.entries(MIME).find(([, v]) => v === m[1].toLowerCase())?.[0] ?? m[1].split('/').pop()!.toUpperCase();
      const { mediatype: _m, ...rest } = l.params;
      return { ...l, params: { ...rest, encoding: ['b'], type: [t] }, value: m[3] };
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(l.value) && !l.params.value) return { ...l, params: { ...l.params, value: ['uri'] } };
    return null;
  }
  if (l.name === 'BDAY' || l.name === 'ANNIVERSARY') {
    const full = /^(\d{4})(\d\d)(\d\d)$/.exec(l.value.trim());
    if (full) return { ...l, value: `${full[1]}-${full[2]}-${full[3]}` };
    const noYear = /^--(\d\d)(\d\d)$/.exec(l.value.trim());
    if (noYear) return { ...l, params: { ...l.params, 'x-apple-omit-year': ['1604'] }, value: `1604-${noYear[1]}-${noYear[2]}` };
    return null;
  }
  if (l.name === 'KIND') return l.value.trim().toLowerCase() === 'individual' ? undefined : { ...l, name: 'X-ADDRESSBOOKSERVER-KIND', value: l.value.toLowerCase() };
  if (l.name === 'MEMBER') return { ...l, name: 'X-ADDRESSBOOKSERVER-MEMBER' };
  if (l.name === 'GEO') {
    const m = /^geo:\s*(-?[\d.]+),(-?[\d.]+)/i.exec(l.value);
    return m ? { ...l, value: `${m[1]};${m[2]}` } : null;
  }
  return null;
}

/** Splits folded text into logical lines, each with its physical text (so a kept line is given back byte for byte). */
function physicalLines(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(part) && out.length) out[out.length - 1] += part;
    else out.push(part);
  }
  return out;
}

/**
 * One or more vCards in `version`. A card already in that version is given back exactly; otherwise VERSION, TYPE
 * params, PREF, PHOTO/LOGO/SOUND/KEY data, BDAY/ANNIVERSARY, KIND/MEMBER and GEO are rewritten, N is added when 3.0
 * needs one, and every other line is kept as it was.
 */
export function convertVcard(text: string, version: VcardVersion): string {
  if (!/^VERSION:/im.test(text) || vcardVersionOf(text) === version) return text;
  const out: string[] = [];
  let hasN = false;
  for (const phys of physicalLines(text)) {
    const eol = /\r?\n$/.exec(phys)?.[0] ?? '';
    if (/^BEGIN:VCARD/i.test(phys)) hasN = false;
    if (/^END:VCARD/i.test(phys) && version === '3.0' && !hasN) out.push(foldLine('N:;;;;'));
    const l = /^(BEGIN|END):/i.test(phys) ? undefined : parseLine(phys.slice(0, phys.length - eol.length));
    if (!l) {
      out.push(phys);
      continue;
    }
    if (l.name === 'N') hasN = true;
    const r = version === '4.0' ? to4(l) : to3(l);
    if (r === null) out.push(phys);
    else if (r) out.push(lineText(r).replace(/\r\n$/, eol || '\r\n'));
  }
  return out.join('');
}

/** RFC 6352 §10.4 address-data attributes → the version asked for; another content type is refused. */
export function addressDataVersion(attrs: Record<string, string> | undefined): VcardVersion {
  const type = (attrs?.['content-type'] ?? 'text/vcard').trim().toLowerCase();
  const version = (attrs?.version ?? DEFAULT_VCARD).trim();
  if ((type !== 'text/vcard' && type !== 'text/x-vcard') || !VCARD_VERSIONS.includes(version as VcardVersion)) {
    throw new DavRequestError(`address-data ${type} version ${version} is not served (text/vcard 3.0 or 4.0)`, 415, { ns: NS.card, name: 'supported-address-data' });
  }
  return version as VcardVersion;
}

/**
 * The vCard version a GET's Accept header asks for (highest q first; `text/vcard` without a version, `*\/*` or no
 * header: 3.0). undefined when it accepts no vCard at all (answered 406).
 */
export function acceptedVcard(accept: string | null): VcardVersion | undefined {
  if (!accept?.trim()) return DEFAULT_VCARD;
  const ranges = accept.split(',').map((part, i) => {
    const [type, ...ps] = part.split(';').map((s) => s.trim());
    const params = Object.fromEntries(ps.map((p) => p.split('=').map((s) => s.trim().replace(/^"|"$/g, '').toLowerCase())));
    return { type: type.toLowerCase(), version: params.version as string | undefined, q: params.q === undefined ? 1 : Number(params.q), i };
  });
  ranges.sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (!(r.q > 0)) continue;
    if (r.type === 'text/vcard' || r.type === 'text/x-vcard') {
      if (!r.version) return DEFAULT_VCARD;
      if (VCARD_VERSIONS.includes(r.version as VcardVersion)) return r.version as VcardVersion;
    } else if (r.type === '*/*' || r.type === 'text/*') return DEFAULT_VCARD;
  }
  return undefined;
}
