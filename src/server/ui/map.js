// An offline world map in SVG: a lat/long graticule, country outlines when the node has them, photos as dots.
const NS = 'http://www.w3.org/2000/svg';
let land;

function el(name, attrs) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Equirectangular: x = long + 180, y = 90 - lat, in a 360 x 180 frame. */
export function project(lat, long) {
  return [long + 180, 90 - lat];
}

async function outlines() {
  if (land !== undefined) return land;
  try {
    const res = await fetch('/api/outlines');
    land = res.ok ? (await res.json()).d : null;
  } catch {
    land = null;
  }
  return land;
}

export async function drawMap(svg, photos, onPick) {
  svg.replaceChildren();
  const d = await outlines();
  if (d) svg.append(el('path', { class: 'land', d }));
  let lines = '';
  for (let long = -180; long <= 180; long += 30) lines += `M${long + 180},0V180`;
  for (let lat = -60; lat <= 60; lat += 30) lines += `M0,${90 - lat}H360`;
  svg.append(el('path', { class: 'graticule', d: lines }));
  svg.append(el('path', { class: 'graticule', d: 'M0,90H360M180,0V180', 'stroke-width': 0.6 }));
  for (const p of photos) {
    const [x, y] = project(p.lat, p.long);
    const dot = el('circle', { class: 'photo', cx: x.toFixed(2), cy: y.toFixed(2), r: 2.2, 'data-hash': p.hash });
    const title = el('title', {});
    title.textContent = `${p.title ?? p.file ?? p.hash}\n${p.lat.toFixed(4)}, ${p.long.toFixed(4)}`;
    dot.append(title);
    if (onPick) dot.addEventListener('click', () => onPick(p));
    svg.append(dot);
  }
  return d ? 'outlines' : 'graticule';
}
