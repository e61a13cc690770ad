// A small SVG line plot on log–log axes (one panel per measure family), for the scale bench's curves.
export interface Series {
  name: string;
  points: Array<[number, number]>; // [x, y], both > 0
}

export interface Panel {
  title: string;
  yUnit: string;
  series: Series[];
}

const W = 420;
const H = 300;
const M = { l: 64, r: 12, t: 28, b: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function label(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return v >= 1 ? String(v) : v.toPrecision(1);
}

function panelSvg(p: Panel, ox: number): string {
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (!pts.length) return '';
  const xs = decades(Math.min(...pts.map((q) => q[0])), Math.max(...pts.map((q) => q[0])));
  const ys = decades(Math.min(...pts.map((q) => q[1])), Math.max(...pts.map((q) => q[1])));
  const [x0, x1, y0, y1] = [Math.log10(xs[0]), Math.log10(xs[xs.length - 1]), Math.log10(ys[0]), Math.log10(ys[ys.length - 1])];
  const px = (x: number) => ox + M.l + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const py = (y: number) => M.t + (1 - (Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const out: string[] = [`<text x="${ox + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (const x of xs) out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${M.t}" y2="${H - M.b}" stroke="#ddd"/><text x="${px(x)}" y="${H - M.b + 14}" text-anchor="middle">${label(x)}</text>`);
  for (const y of ys) out.push(`<line x1="${ox + M.l}" x2="${ox + W - M.r}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/><text x="${ox + M.l - 4}" y="${py(y) + 4}" text-anchor="end">${label(y)}</text>`);
  out.push(`<text x="${ox + W / 2}" y="${H - 6}" text-anchor="middle">files in the library</text>`);
  out.push(`<text transform="translate(${ox + 12},${H / 2}) rotate(-90)" text-anchor="middle">${esc(p.yUnit)}</text>`);
  p.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const good = s.points.filter(([x, y]) => x > 0 && y > 0);
    if (!good.length) return;
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${good.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of good) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"/>`);
    out.push(`<rect x="${ox + M.l + 8}" y="${M.t + 6 + i * 14}" width="10" height="3" fill="${c}"/><text x="${ox + M.l + 22}" y="${M.t + 10 + i * 14}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Panels side by side in one SVG document. */
export function plotSvg(panels: Panel[]): string {
  const body = panels.map((p, i) => panelSvg(p, i * W)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H}" font-family="sans-serif" font-size="10">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
