// Full-state records (GraphStore.replaceAuthor): one author's state as a diff in 1..n log records written at once, applied whole or not at all.

/** What the headers of a state record say: the seq the diff is against, and which part of how many this is. */
export interface StateHeader {
  base: number;
  part: number;
  parts: number;
}

/** Most text per state record (the change log refuses records past 256 MiB; a JS string past ~512 MiB). */
export const STATE_PART_BYTES = 32 << 20;

/** The state headers of a log record, or undefined for an ordinary patch. */
export function stateHeader(payload: Buffer | string): StateHeader | undefined {
  const text = payload.toString('utf8', 0, Math.min(payload.length, 4096));
  const head = text.slice(0, Math.max(0, text.indexOf('\nTX .\n')));
  const b = /^H base "(\d+)" \.$/m.exec(head);
  if (!b) return undefined;
  const p = /^H part "(\d+)\/(\d+)" \.$/m.exec(head);
  return { base: Number(b[1]), part: p ? Number(p[1]) : 1, parts: p ? Number(p[2]) : 1 };
}

/** The records of one state: `rows` (`A ...`/`D ...` lines, each ending in a newline) cut into parts. */
export function stateRecords(author: string, seq: number, hlc: string, base: number, rows: string[], partBytes = STATE_PART_BYTES): string[] {
  const bodies: string[] = [];
  let cur: string[] = [];
  let size = 0;
  for (const r of rows) {
    if (size > 0 && size + r.length > partBytes) {
      bodies.push(cur.join(''));
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.length;
  }
  bodies.push(cur.join(''));
  return bodies.map(
    (body, i) =>
      `H id <urn:semsync:patch:${author}:${seq}> .\nH author "${author}" .\nH seq "${seq}" .\nH hlc "${hlc}" .\n` +
      `H base "${base}" .\nH part "${i + 1}/${bodies.length}" .\nTX .\n${body}TC .\n`,
  );
}

/**
 * Collects the parts of state records while the log is replayed. A group is handed out once its last part is
 * read; a group cut short (a crash while writing it) is dropped when anything else of that author follows.
 */
export class StateReplay {
  private readonly pending = new Map<string, { seq: number; h: StateHeader; texts: string[] }>();

  /** A state record: the group's texts once complete, else undefined (more parts to come, or out of order). */
  add(author: string, seq: number, h: StateHeader, text: string): string[] | undefined {
    let g = this.pending.get(author);
    if (h.part === 1) {
      g = { seq, h, texts: [] };
      this.pending.set(author, g);
    }
    if (!g || g.seq !== seq || g.h.base !== h.base || g.h.parts !== h.parts || h.part !== g.texts.length + 1) {
      this.pending.delete(author);
      return undefined;
    }
    g.texts.push(text);
    if (g.texts.length < h.parts) return undefined;
    this.pending.delete(author);
    return g.texts;
  }

  /** An ordinary patch of `author` was read: a group of it still open was never finished. */
  interrupt(author: string): void {
    this.pending.delete(author);
  }
}
