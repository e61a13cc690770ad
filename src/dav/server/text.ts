// Content lines of a vCard/iCalendar text, unfolded, as name (group and parameters stripped) and value: for the text matches of a query.
export interface ContentLine {
  name: string;
  value: string;
}

export function unfoldText(text: string): ContentLine[] {
  const out: ContentLine[] = [];
  for (const raw of text.replace(/\r\n[ \t]/g, '').replace(/\n[ \t]/g, '').split(/\r?\n/)) {
    let quoted = false;
    let colon = -1;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] === '"') quoted = !quoted;
      else if (raw[i] === ':' && !quoted) {
        colon = i;
        break;
      }
    }
    if (colon < 0) continue;
    const head = raw.slice(0, colon).split(';')[0];
    out.push({ name: head.slice(head.indexOf('.') + 1).toUpperCase(), value: raw.slice(colon + 1) });
  }
  return out;
}
