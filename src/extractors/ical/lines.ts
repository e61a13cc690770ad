// Content lines (RFC 5545 / RFC 6350 / vCard 2.1): byte-level unfolding, line endings, top-level blocks, folding.
// This is the small hand-written front end before ical.js: ical.js parses each item's unfolded lines.

/** One logical (unfolded) line, with the 1-based number of its first physical line. */
export interface RawLine {
  bytes: Buffer;
  line: number;
}

/** One decoded logical line. */
export interface ContentLine {
  text: string;
  line: number;
}

/** A top-level block: `BEGIN:<name>` … `END:<name>` with everything inside (nested blocks included). */
export interface Block {
  name: string;
  lines: ContentLine[];
}

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const EQ = 0x3d;

/**
 * Splits bytes into logical lines. Any of CRLF, LF, CR CR LF or a lone CR ends a physical line; a line that starts
 * with a space or TAB continues the previous one (unfolded at byte level, so a fold inside a UTF-8 sequence
 * rejoins it); blank lines are dropped. vCard 2.1 quoted-printable soft breaks: a QP line ending in `=` takes the
 * next physical line as it is.
 */
export function logicalLines(bytes: Uint8Array): RawLine[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let start = 0;
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  const out: { parts: Buffer[]; line: number; qp: boolean | undefined; closed?: boolean }[] = [];
  let lineNo = 0;
  let i = start;
  while (i < buf.length) {
    let j = i;
    while (j < buf.length && buf[j] !== LF && buf[j] !== CR) j++;
    const phys = buf.subarray(i, j);
    // line end: \r*\n, or a lone \r (old Mac)
    let k = j;
    while (k < buf.length && buf[k] === CR) k++;
    if (k < buf.length && buf[k] === LF) k++;
    else if (k > j + 1) k = j + 1; // \r\r not followed by \n: one break per \r
    i = k === j ? j + 1 : k;
    lineNo++;
    const last = out[out.length - 1];
    if (phys.length === 0) {
      if (last) last.closed = true; // a blank line ends a QP value whose last line ended in `=`
      continue;
    }
    if (last && (phys[0] === SP || phys[0] === TAB)) {
      last.parts.push(phys.subarray(1));
      last.closed = false;
      continue;
    }
    if (last && !last.closed && endsSoftBreak(last)) {
      const tail = last.parts[last.parts.length - 1];
      last.parts[last.parts.length - 1] = tail.subarray(0, tail.length - 1);
      last.parts.push(phys);
      continue;
    }
    out.push({ parts: [phys], line: lineNo, qp: undefined });
  }
  return out.map((l) => ({ bytes: l.parts.length === 1 ? l.parts[0] : Buffer.concat(l.parts), line: l.line }));
}

function endsSoftBreak(l: { parts: Buffer[]; qp: boolean | undefined }): boolean {
  // soft breaks are vCard 2.1 quoted-printable only: `=` at the end of a QP line
  const tail = l.parts[l.parts.length - 1];
  if (tail.length === 0 || tail[tail.length - 1] !== EQ) return false;
  if (l.qp === undefined) {
    const head = headOf(l.parts[0].toString('latin1'));
    l.qp = /QUOTED-PRINTABLE/i.test(head);
  }
  return l.qp;
}

/**
 * Decodes a line with no declared charset: UTF-8 when it is valid UTF-8, else Windows-1252 (the usual charset of
 * old exports that are not UTF-8), with `ok` false so that the caller reports it.
 */
export function decodeText(bytes: Uint8Array): { text: string; ok: boolean } {
  const utf8 = decodeUtf8(bytes);
  return utf8.ok ? utf8 : { text: new TextDecoder('windows-1252').decode(bytes), ok: false };
}

/** Decodes UTF-8; `ok` is false when the bytes are not valid UTF-8 (invalid bytes become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): { text: string; ok: boolean } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), ok: true };
  } catch {
    return { text: new TextDecoder('utf-8').decode(bytes), ok: false };
  }
}

/** The index of the `:` that ends a line's name and parameters (not one inside a quoted parameter), or -1. */
export function colonIndex(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x3a && !quoted) return i;
  }
  return -1;
}

/** The name-and-parameters part of a line (everything before the value). */
export function headOf(line: string): string {
  const i = colonIndex(line);
  return i < 0 ? line : line.slice(0, i);
}

/** The property name of a line, upper case, without a group prefix (`item1.EMAIL` → `EMAIL`). */
export function propName(line: string): string {
  const head = headOf(line);
  const semi = head.indexOf(';');
  const name = semi < 0 ? head : head.slice(0, semi);
  const dot = name.lastIndexOf('.');
  return (dot < 0 ? name : name.slice(dot + 1)).trim().toUpperCase();
}

/** The raw value text of a line (after the first unquoted `:`). */
export function valueOf(line: string): string {
  const i = colonIndex(line);
  return i < 0 ? '' : line.slice(i + 1);
}

/**
 * Groups lines into top-level blocks by BEGIN/END nesting. `container` names wrappers whose children are the blocks
 * wanted (VCALENDAR): their own lines (PRODID, METHOD …) go to `outer`. Lines outside any block, and blocks left
 * open at the end, are reported.
 */
export function splitBlocks(lines: ContentLine[], container?: string): { blocks: Block[]; outer: ContentLine[]; errors: string[] } {
  const blocks: Block[] = [];
  const outer: ContentLine[] = [];
  const errors: string[] = [];
  const stack: string[] = [];
  let current: Block | undefined;
  for (const l of lines) {
    const name = propName(l.text);
    const value = valueOf(l.text).trim().toUpperCase();
    if (name === 'BEGIN' && current && value === current.name) {
      // BEGIN:VCARD inside an open VCARD: the earlier one lost its END; close it there
      errors.push(`line ${l.line}: BEGIN:${value} before the END of the one at line ${current.lines[0].line}; that one is closed here`);
      closeOpen(current, stack, container, l.line);
      current = undefined;
    }
    const topNow = stack.length === 0 || (container !== undefined && stack.length === 1 && stack[0] === container);
    if (name === 'BEGIN') {
      if (topNow && !(container !== undefined && value === container && stack.length === 0)) {
        current = { name: value, lines: [] };
        blocks.push(current);
      }
      stack.push(value);
      if (current) current.lines.push(l);
      else outer.push(l);
      continue;
    }
    if (name === 'END') {
      if (stack.length === 0) {
        errors.push(`line ${l.line}: END:${value} without BEGIN, skipped`);
        continue;
      }
      if (current) current.lines.push(l);
      else outer.push(l);
      // an END that does not match closes up to the matching BEGIN (a missing END inside an item)
      let at = stack.lastIndexOf(value);
      if (at < 0) {
        errors.push(`line ${l.line}: END:${value} does not match BEGIN:${stack[stack.length - 1]}`);
        at = stack.length - 1;
      }
      stack.length = at;
      const nowTop = stack.length === 0 || (container !== undefined && stack.length === 1 && stack[0] === container);
      if (nowTop) current = undefined;
      continue;
    }
    if (current) current.lines.push(l);
    else if (stack.length > 0) outer.push(l);
    else errors.push(`line ${l.line}: text outside any BEGIN/END block, skipped: ${JSON.stringify(l.text.slice(0, 60))}`);
  }
  if (stack.length > 0) {
    errors.push(`the file ends inside BEGIN:${stack.join(' / BEGIN:')} (truncated?): closed at the end`);
    if (current) closeOpen(current, stack, container, (lines[lines.length - 1]?.line ?? 0) + 1);
  }
  return { blocks, outer, errors };
}

/** Adds the missing END lines of `block` (down to the container level) and pops them off `stack`. */
function closeOpen(block: Block, stack: string[], container: string | undefined, line: number): void {
  const keep = container !== undefined && stack[0] === container ? 1 : 0;
  while (stack.length > keep) block.lines.push({ text: `END:${stack.pop()}`, line });
}

/** The text of a block as stored (ss:sourceText): its unfolded lines joined with LF. */
export function blockText(lines: readonly ContentLine[]): string {
  return lines.map((l) => l.text).join('\n');
}

/**
 * Folds one line for writing: at most 75 octets per physical line, never inside a UTF-8 sequence, continuation lines
 * start with one space; lines end with CRLF. Unfolding gives the line back unchanged.
 */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line + '\r\n';
  const parts: string[] = [];
  let start = 0;
  let limit = 75;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + limit);
    while (end < bytes.length && end > start + 1 && (bytes[end] & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
    limit = 74;
  }
  return parts.join('\r\n ') + '\r\n';
}
