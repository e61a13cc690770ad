// The vCard 2.1 pre-pass: one logical line's bytes → text ical.js accepts (QP/CHARSET/8BIT decoded, bare parameters named).
// ical.js reads vCard 3.0 and 4.0 but not 2.1's encodings; this is the only hand-written decoding in the vCard path.
import { decodeText, decodeUtf8, type ContentLine, type RawLine } from '../ical/lines.js';

/**
 * Rewrites one logical line:
 * - `ENCODING=QUOTED-PRINTABLE` (or a bare `QUOTED-PRINTABLE`): the value is QP-decoded (soft breaks were joined by
 *   the line reader), then decoded with its `CHARSET` (default UTF-8); line breaks in it become `\n` escapes;
 * - `CHARSET=x` on a plain (or `ENCODING=8BIT`) value: the value bytes are decoded from x;
 * - `ENCODING=8BIT`, `CHARSET` and the QP parameter are dropped (the text is now UTF-8);
 * - `ENCODING=BASE64` / a bare `BASE64` become `ENCODING=b` (the 3.0 spelling);
 * - a bare parameter (`TEL;WORK;VOICE:`) becomes `TYPE=WORK;TYPE=VOICE`.
 * A line that needs none of this keeps its exact text. Idempotent: the output is a fixed point.
 */
export function prepassLine(raw: RawLine, errors: string[]): ContentLine {
  const latin = raw.bytes.toString('latin1');
  const colon = colonAt(latin);
  if (colon < 0) return { text: undeclared(raw.bytes, raw.line, errors), line: raw.line };
  const head = latin.slice(0, colon);
  const params = splitParams(head);
  const name = params.shift()!;
  let qp = false;
  let charset: string | undefined;
  let changed = false;
  const kept: string[] = [];
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = (eq < 0 ? '' : p.slice(0, eq)).trim().toUpperCase();
    const val = (eq < 0 ? p : p.slice(eq + 1)).trim();
    const upper = val.toUpperCase();
    if ((key === 'ENCODING' || key === '') && upper === 'QUOTED-PRINTABLE') {
      qp = true;
      changed = true;
    } else if ((key === 'ENCODING' || key === '') && upper === '8BIT') {
      changed = true;
    } else if (key === 'CHARSET') {
      charset = val.replace(/^"|"$/g, '');
      changed = true;
    } else if ((key === 'ENCODING' || key === '') && upper === 'BASE64') {
      kept.push('ENCODING=b');
      changed = true;
    } else if (key === '' && val !== '') {
      kept.push(`TYPE=${val}`);
      changed = true;
    } else {
      kept.push(p);
    }
  }
  if (!changed) return { text: undeclared(raw.bytes, raw.line, errors), line: raw.line };
  let valueBytes: Buffer = raw.bytes.subarray(Buffer.byteLength(head, 'latin1') + 1);
  if (qp) {
    // a soft break with nothing after it (the value's last line ended in `=` before a blank line)
    if (valueBytes.length > 0 && valueBytes[valueBytes.length - 1] === 0x3d) valueBytes = valueBytes.subarray(0, valueBytes.length - 1);
    valueBytes = decodeQuotedPrintable(valueBytes);
  }
  let value = decodeCharset(valueBytes, charset, raw.line, errors);
  if (qp) value = value.replace(/\r\n|\r|\n/g, '\\n');
  const newHead = [name, ...kept].join(';');
  return { text: `${utf8(Buffer.from(newHead, 'latin1'), raw.line, errors)}:${value}`, line: raw.line };
}

/** Text with no CHARSET: UTF-8, or Windows-1252 when it is not valid UTF-8 (reported). */
function undeclared(bytes: Buffer, line: number, errors: string[]): string {
  const { text, ok } = decodeText(bytes);
  if (!ok) errors.push(`line ${line}: not valid UTF-8 and no CHARSET, read as Windows-1252`);
  return text;
}

/** Text declared UTF-8 (or US-ASCII): invalid bytes become U+FFFD (reported). */
function utf8(bytes: Buffer, line: number, errors: string[]): string {
  const { text, ok } = decodeUtf8(bytes);
  if (!ok) errors.push(`line ${line}: not valid UTF-8; invalid bytes replaced by U+FFFD`);
  return text;
}

function decodeCharset(bytes: Buffer, charset: string | undefined, line: number, errors: string[]): string {
  if (charset === undefined) return undeclared(bytes, line, errors);
  const label = charset.toLowerCase();
  if (label === 'utf-8' || label === 'utf8' || label === 'us-ascii' || label === 'ascii') return utf8(bytes, line, errors);
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    errors.push(`line ${line}: unknown CHARSET ${JSON.stringify(charset)}, read as UTF-8`);
    return utf8(bytes, line, errors);
  }
}

/** Decodes quoted-printable bytes (`=XX` escapes; a stray `=` is kept as it is). */
export function decodeQuotedPrintable(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x3d && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

function colonAt(s: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x3a && !quoted) return i;
  }
  return -1;
}

/** Splits `NAME;a=b;"c;d"` at the semicolons outside quotes. */
function splitParams(head: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x3b && !quoted) {
      out.push(head.slice(start, i));
      start = i + 1;
    }
  }
  out.push(head.slice(start));
  return out;
}
