// The dashboard's behaviour: state over server-sent events, guarded actions, the library and map, the SPARQL editor.
import { drawMap } from './map.js';
import { errorSpot } from './query-error.js';
import { h, post } from './dom.js';
import { loadViews, setupViews } from './views.js';
import { askAboutPeer, renderDevicePrompts, renderPeerPrompts, setupPrompts } from './prompts.js';

const $ = (id) => document.getElementById(id);
let state = null;
let library = [];
let filter = { kind: 'all', category: null };

async function act(path, body, question) {
  if (question && !window.confirm(question)) return;
  const reply = await post(path, body);
  if (!reply.ok) window.alert(`Could not do that: ${reply.error}`);
  await refresh();
}

const short = (id) => (id && id.length > 20 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id);
const size = (n) => (n === undefined ? '' : n > 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`);

function renderPeers(p) {
  $('nearby').replaceChildren(
    ...(p.nearby.length ? p.nearby.map((n) =>
      h('li', {}, h('span', { class: 'grow', title: n.peerId }, short(n.peerId), ' ', h('span', { class: 'muted' }, n.addrs[0] ?? '')),
        h('button', { class: 'ask-pair', title: 'pair it: personal or work first', onclick: () => void askAboutPeer(n.peerId) }, 'Pair…'))) : [h('li', { class: 'muted' }, 'none seen')]),
  );
  $('paired').replaceChildren(
    ...(p.paired.length ? p.paired.map((x) =>
      h('li', { 'data-peer': x.peerId }, h('span', { class: 'grow', title: x.peerId }, x.name ? `${x.name} ` : '', short(x.peerId)), h('span', { class: 'badge' + (x.state === 'paired' ? ' on' : '') }, x.state + (x.connected ? ', connected' : '')),
        h('button', { class: 'danger', onclick: () => act('/api/unpair', { peerId: x.peerId }, `Unpair ${x.name ?? x.peerId}? It will get nothing more from this node.`) }, 'Unpair'))) : [h('li', { class: 'muted' }, 'no paired peers')]),
  );
}

function renderShares(s, peers) {
  $('share-rows').replaceChildren(
    ...(s.length ? s.map((share) =>
      h('tr', {}, h('td', {}, share.name), h('td', { class: 'muted' }, share.path),
        h('td', {}, peers.paired.length ? peers.paired.map((p) => {
          const on = share.grantedTo.includes(p.peerId);
          return h('label', { class: 'row' }, h('input', { type: 'checkbox', ...(on ? { checked: '' } : {}), onchange: (e) => act('/api/grant', { share: share.name, peerId: p.peerId, on: e.target.checked }, e.target.checked ? null : `Stop sharing ${share.name} with ${p.name ?? short(p.peerId)}?`) }), p.name ?? short(p.peerId));
        }) : h('span', { class: 'muted' }, 'pair a peer to grant this share')))) : [h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no shares: `semsync share add FOLDER`'))]),
  );
}

const previews = new Map();

/** Fills `box` with what placing onto the device would do (a dry run on the node). */
function wouldPlace(d, box) {
  const kinds = d.accepts && d.accepts.length ? d.accepts : ['ebook', 'music', 'photo'];
  const n = library.filter((i) => kinds.includes(i.kind)).length;
  box.textContent = `takes ${kinds.join(', ')}: ${n} item(s) in the library`;
  const shown = (p) => {
    if (p.ok) box.textContent = `Would place: ${p.planned.copy} file(s) to copy, ${p.planned.remove} to remove (${size(p.bytes)})${p.sample.length ? ': ' + p.sample.join('; ') : ''}`;
  };
  if (previews.has(d.id)) return shown(previews.get(d.id));
  fetch(`/api/devices/${encodeURIComponent(d.id)}/preview`).then((r) => r.json()).then((p) => { previews.set(d.id, p); shown(p); }).catch(() => {});
}

function renderDevices(list) {
  renderDevicePrompts(list);
  $('device-list').replaceChildren(...(list.length ? list.map((d) =>
    h('li', {}, h('span', { class: 'grow' }, h('strong', {}, d.name), ' ', h('span', { class: 'muted' }, `${d.root} · ${d.fsType}${d.free !== undefined ? ` · ${size(d.free)} free of ${size(d.total)}` : ''}`)),
      h('span', { class: 'badge' + (d.state === 'claimed' ? ' on' : '') }, d.state))) : [h('li', { class: 'muted' }, 'no devices attached')]));
}

function renderActivity(list) {
  $('activity').replaceChildren(...list.slice().reverse().map((e) =>
    h('li', {}, h('span', { class: 'muted' }, e.at.slice(11, 19)), ' ', h('span', { class: 'grow' }, `${e.name ?? e.root}: ${e.event}${e.placed ? ` (${e.placed.copied} copied, ${e.placed.removed} removed, ${e.placed.errors} error(s))` : ''}${e.error ? `: ${e.error}` : ''}`))));
}

function renderDav(d) {
  if (!d) return;
  $('dav-address').replaceChildren(
    `CalDAV/CardDAV: ${d.address ?? '(no HTTP)'}`,
    ...(d.tls ? [h('br'), `LAN (HTTPS): ${d.tls.url}`, h('br'), h('span', { title: 'compare this with what the phone shows' }, `certificate SHA-256 ${d.tls.fingerprint}`)] : []),
  );
  $('dav-accounts').replaceChildren(...(d.accounts.length ? d.accounts.map((a) =>
    h('li', { 'data-account': a.name }, h('span', { class: 'grow' }, a.name, ' ', h('span', { class: 'badge' }, a.policy)),
      h('span', { class: 'muted', title: a.device ?? '' }, a.lastSeen ? `last sync ${a.lastSeen.slice(0, 16).replace('T', ' ')}${a.device ? ` · ${a.device.split(' ')[0]}` : ''}` : 'never synced'),
      ...(a.qr ? [h('figure', { class: 'dav-qr' },
        h('img', { src: `data:image/svg+xml;base64,${btoa(a.qr)}`, alt: `QR code of ${a.url}`, width: 160, height: 160 }),
        h('figcaption', {}, h('code', {}, a.url), ...(d.tls ? [h('br'), `certificate SHA-256 ${d.tls.fingerprint}`] : []), h('br'), 'sign in as ', h('code', {}, a.name), ' with its password'))] : []))) : [h('li', { class: 'muted' }, 'no accounts')]));
}

// ---- Calendar and contact servers (the node's CalDAV/CardDAV accounts, `semsync dav add`) ----

const RESULT = { ok: ['ok', 'on'], failed: ['failed', 'bad'], stopped: ['stopped by the mass-delete guard', 'warn'] };
const pad = (n) => String(n).padStart(2, '0');
/** A local date and time with seconds (the ISO time, in UTC, in its title). */
const when = (iso) => { const d = new Date(iso); return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; };
const syncingNow = new Set();

async function davClientSync(name) {
  syncingNow.add(name);
  if (state) renderDavClients(state.davClients);
  try {
    await act('/api/dav-client-sync', { name });
  } finally {
    syncingNow.delete(name);
    if (state) renderDavClients(state.davClients);
  }
}

function davClientCounts(c) {
  if (!c) return '';
  const parts = [`${c.pushed} uploaded`, `${c.pulled} downloaded`, `deleted ${c.deletedHere} here, ${c.deletedThere} there`];
  if (c.conflicts) parts.push(`${c.conflicts} conflict(s)`);
  if (c.withheld) parts.push(`${c.withheld} withheld by the policy`);
  return parts.join(' · ');
}

function davClientFailures(list) {
  if (!list.length) return [];
  const shown = list.slice(0, 20);
  return [h('h3', {}, `${list.length} item(s) not on the server`),
    h('ul', { class: 'failures' }, ...shown.map((f) =>
      h('li', { 'data-uid': f.uid }, h('strong', {}, f.name || '(no name)'), ' ', h('span', { class: 'muted' }, 'UID '), h('code', {}, f.uid),
        h('div', { class: 'reason', title: f.reason }, f.reason.length > 300 ? `${f.reason.slice(0, 300)}…` : f.reason),
        f.nextTry ? h('div', { class: 'muted', title: f.nextTry }, `next try after ${when(f.nextTry)}`) : '')),
      list.length > shown.length ? h('li', { class: 'muted' }, `and ${list.length - shown.length} more: semsync dav status`) : '')];
}

function renderDavClients(list) {
  if (!list) return;
  $('dav-client-accounts').replaceChildren(...(list.length ? list.map((a) => {
    const busy = a.syncing || syncingNow.has(a.name);
    const [label, tone] = RESULT[a.result] ?? ['never synced', ''];
    return h('li', { class: 'dav-client', 'data-dav-client': a.name },
      h('div', { class: 'row' }, h('strong', {}, a.name), h('span', { class: 'badge' }, a.policy),
        h('span', { class: `badge result ${busy ? '' : tone}` }, busy ? 'syncing…' : label), h('span', { class: 'grow' }),
        h('button', { class: 'secondary sync-now', ...(busy ? { disabled: '' } : {}), onclick: () => davClientSync(a.name) }, 'Sync now')),
      h('div', { class: 'muted url' }, a.url),
      h('div', { class: 'last' }, a.lastSync ? h('span', { class: 'last-sync', title: a.lastSync, 'data-at': a.lastSync }, `last sync ${when(a.lastSync)}`) : h('span', { class: 'muted' }, 'never synced')),
      a.counts ? h('div', { class: 'counts' }, davClientCounts(a.counts)) : '',
      a.message ? h('div', { class: 'error' }, a.message) : '',
      ...davClientFailures(a.failures));
  }) : [h('li', { class: 'muted' }, 'no accounts')]));
}

function render() {
  if (!state) return;
  const n = state.node;
  $('node-id').textContent = short(n.nodeId);
  $('node-id').title = n.nodeId;
  $('stats').textContent = `${n.statements} statements · up ${n.uptimeSeconds}s`;
  renderPeers(state.peers);
  renderPeerPrompts(state.peers);
  renderShares(state.shares, state.peers);
  renderDevices(state.devices);
  renderActivity(state.activity ?? []);
  renderDav(state.dav);
  renderDavClients(state.davClients);
}

function renderLibrary() {
  const cats = [...new Set(library.flatMap((i) => i.categories))].sort();
  const chip = (label, active, onclick) => h('button', { class: 'chip' + (active ? ' active' : ''), onclick }, label);
  $('filters').replaceChildren(
    ...['all', 'ebook', 'music', 'photo'].map((k) => chip(k, filter.kind === k, () => { filter.kind = k; renderLibrary(); })),
    ...cats.map((c) => chip(c, filter.category === c, () => { filter.category = filter.category === c ? null : c; renderLibrary(); })),
  );
  const shown = library.filter((i) => (filter.kind === 'all' || i.kind === filter.kind) && (!filter.category || i.categories.includes(filter.category)));
  $('library-count').textContent = `${shown.length} of ${library.length}`;
  const icon = { ebook: 'Book', music: '♪', photo: '▣' };
  $('items').replaceChildren(...shown.slice(0, 300).map((i) =>
    h('div', { class: 'card', 'data-kind': i.kind },
      i.hasCover ? h('img', { class: 'cover', src: `/cover/${i.hash}`, alt: `cover of ${i.title ?? ''}`, loading: 'lazy' }) : h('div', { class: 'cover' }, icon[i.kind]),
      h('div', { class: 'title' }, i.title ?? (i.file ? decodeURIComponent(i.file.split('/').pop()) : i.hash.slice(0, 12))),
      h('div', { class: 'muted' }, [i.creator, ...i.categories].filter(Boolean).join(' · ')))));
  const photos = shown.filter((i) => i.lat !== undefined);
  drawMap($('map'), photos).then((how) => { $('map-caption').textContent = `${photos.length} photo(s) with a GPS position${how === 'graticule' ? ' (graticule only: no country outlines installed)' : ''}`; });
}

async function refresh() {
  state = await (await fetch('/api/state')).json();
  render();
}

async function loadLibrary() {
  library = await (await fetch('/api/library')).json();
  renderLibrary();
  if (state) renderDevices(state.devices);
}

const EXAMPLES = {
  'Everything, by type': 'SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)',
  'Books and their authors': 'SELECT ?title ?author WHERE {\n  ?book a ss:EBook ; dcterms:title ?title .\n  OPTIONAL { ?book dcterms:creator/foaf:name ?author }\n} ORDER BY ?title LIMIT 100',
  'Music by artist and album': 'SELECT ?artist ?title WHERE {\n  ?track a nmm:MusicPiece ; dcterms:title ?title .\n  OPTIONAL { ?track dcterms:creator/foaf:name ?artist }\n} ORDER BY ?artist ?title LIMIT 100',
  'Photos with a position': 'SELECT ?file ?lat ?long WHERE {\n  ?photo a nfo:Image ; geo:lat ?lat ; geo:long ?long .\n  ?file nie:interpretedAs ?photo\n} LIMIT 100',
  'Files and where they are': 'SELECT ?file ?size ?mime WHERE {\n  ?file a nfo:FileDataObject ; nfo:fileSize ?size ; nie:mimeType ?mime\n} ORDER BY DESC(?size) LIMIT 50',
  'Statements per graph': 'SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g',
};

async function runQuery() {
  const q = $('sparql').value;
  $('query-error').hidden = true;
  $('query-info').textContent = 'running…';
  const t0 = performance.now();
  const res = await fetch('/sparql', { method: 'POST', headers: { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json, text/turtle;q=0.5' }, body: q });
  const text = await res.text();
  const ms = (performance.now() - t0).toFixed(0);
  const thead = $('results').tHead;
  const tbody = $('results').tBodies[0];
  thead.replaceChildren();
  tbody.replaceChildren();
  if (!res.ok) {
    // the message, the offending line with a caret under the spot, and the spot selected in the editor
    const spot = errorSpot(q, text);
    $('query-error').textContent = spot ? `${text.trim()}\n\n${spot.excerpt}` : text;
    $('query-error').hidden = false;
    if (spot) {
      $('sparql').focus();
      $('sparql').setSelectionRange(spot.start, spot.end);
    }
    $('query-info').textContent = `error ${res.status}`;
    return;
  }
  if (!(res.headers.get('content-type') ?? '').includes('sparql-results+json')) {
    tbody.append(h('tr', {}, h('td', {}, h('pre', {}, text))));
    $('query-info').textContent = `graph, ${ms} ms`;
    return;
  }
  const data = JSON.parse(text);
  if ('boolean' in data) {
    tbody.append(h('tr', {}, h('td', {}, String(data.boolean))));
    $('query-info').textContent = `${data.boolean}, ${ms} ms`;
    return;
  }
  thead.append(h('tr', {}, ...data.head.vars.map((v) => h('th', {}, v))));
  tbody.append(...data.results.bindings.map((b) => h('tr', {}, ...data.head.vars.map((v) => h('td', {}, b[v] ? b[v].value : '')))));
  $('query-info').textContent = `${data.results.bindings.length} row(s), ${ms} ms`;
}

function setupEditor() {
  const sel = $('examples');
  sel.append(...Object.keys(EXAMPLES).map((k) => h('option', { value: k }, k)));
  sel.addEventListener('change', () => { $('sparql').value = EXAMPLES[sel.value]; });
  $('sparql').value = EXAMPLES[Object.keys(EXAMPLES)[0]];
  $('run').addEventListener('click', runQuery);
  $('sparql').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) runQuery(); });
  $('pair-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = $('pair-id').value.trim();
    if (id) act('/api/pair', { peerId: id }, `Pair with ${id}? It will receive what you grant it.`);
  });
}

function connect() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => { $('live').textContent = 'live'; $('live').classList.add('on'); });
  es.addEventListener('error', () => { $('live').textContent = 'reconnecting…'; $('live').classList.remove('on'); });
  es.addEventListener('state', (e) => { state = JSON.parse(e.data); render(); });
  es.addEventListener('graph', () => { loadLibrary(); loadViews(); });
}

setupEditor();
setupViews({ refresh, state: () => state });
setupPrompts({ refresh, preview: wouldPlace });
connect();
document.body.dataset.ready = 'true';
