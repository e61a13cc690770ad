// Where a query error is: the endpoint's 400 body names `line L, column C`; this finds that spot in the editor's
// text, the offending text there, and an excerpt with a caret under it (plain JS: the dashboard and tests use it).

/**
 * The spot `message` names in `query`: { line, column, start, end, excerpt } (start/end: offsets in the text, for
 * a selection), or null when the message names no position in it.
 */
export function errorSpot(query, message) {
  const m = /line (\d+), column (\d+)/.exec(message);
  if (!m) return null;
  const line = Number(m[1]);
  const column = Number(m[2]);
  const lines = query.split('\n');
  if (line < 1 || line > lines.length) return null;
  const chars = [...lines[line - 1]];
  const col = Math.min(Math.max(1, column), chars.length + 1);
  const rest = chars.slice(col - 1).join('');
  const token = /^("[^"]*"?|'[^']*'?|<[^>\s]*>?|[^\s{}()[\].;,]+|\S)?/u.exec(rest)[0] || ' ';
  const before = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + chars.slice(0, col - 1).join('').length;
  const gutter = `${line} | `;
  const excerpt = `${gutter}${lines[line - 1]}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(col - 1)}${'^'.repeat([...token].length)}`;
  return { line, column: col, start: before, end: before + token.length, excerpt };
}
