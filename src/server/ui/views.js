// The dashboard's conflicts (side by side, keep mine, theirs or a value of one's own), recent changes with undo of one
// change or of everything a peer did since a time (what it will do, then do it), and the forms that add a share, a
// host target and a peer's privacy policy.
import { h, post } from './dom.js';
import { loadRecords, setupRecords } from './records.js';

const $ = (id) => document.getElementById(id);
let app = { refresh: async () => {}, state: () => null };
const pad = (n) => String(n).padStart(2, '0');
const when = (iso) => { const d = new Date(iso); return Number.isNaN(d.getTime()) ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`; };
const short = (id) => (id && id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id);

/** Sends an action; a refusal is shown in `where` (or an alert), and the views and state are read again. */
async function run(path, body, where) {
  const reply = await post(path, body);
  if (!reply.ok) {
    if (where) where.replaceChildren(h('div', { class: 'error' }, `Could not do that: ${reply.error}`));
    else window.alert(`Could not do that: ${reply.error}`);
  }
  await Promise.all([loadViews(), app.refresh()]);
  return reply;
}

// ---- conflicts ----

/** A side's value, who wrote it and when; the button keeps it (mine: the first side written here; theirs: the first other). */
function side(c, s, own) {
  const keep = s.mine ? 'mine' : 'theirs';
  const chosen = c.sides.find((x) => x.mine === s.mine) === s;
  const who = s.via ? `the server ${s.via}` : s.mine ? 'this node (mine)' : s.by;
  return h('div', { class: 'side' + (s.shown ? ' shown' : ''), 'data-side': chosen ? keep : 'other' },
    h('div', { class: 'value' }, s.value),
    h('div', { class: 'muted', title: `${s.node} · revision ${s.rev}` }, `by ${short(who)}`, s.time ? ` · ${when(s.time)}` : ''),
    s.shown ? h('span', { class: 'badge' }, 'shown meanwhile') : '',
    chosen ? h('button', { class: 'keep', onclick: () => run('/api/conflict-resolve', { id: c.id, keep }) }, s.mine ? 'Keep mine' : 'Keep theirs')
      : h('button', { class: 'secondary', onclick: () => { own.value = s.value; own.focus(); } }, 'Edit this one'));
}

/** A value of one's own (`conflicts resolve ID --keep VALUE`): typed, or started from one side; kept across renders. */
function ownValue(c) {
  const input = h('input', { name: 'value', placeholder: c.sides[0]?.value ?? '', 'aria-label': `a value of your own for ${c.field} of ${c.uid}` });
  const out = h('div', { class: 'prompt-result' });
  const keep = async () => {
    const reply = await post('/api/conflict-resolve', { id: c.id, keep: 'value', value: input.value });
    if (!reply.ok) return out.replaceChildren(h('div', { class: 'error' }, `Could not do that: ${reply.error}`));
    out.replaceChildren();
    await Promise.all([loadViews(), app.refresh()]);
  };
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') keep(); });
  input.addEventListener('input', () => out.replaceChildren());
  const box = h('div', { class: 'side own', 'data-side': 'value' },
    h('label', { class: 'muted' }, 'or a value of your own', input),
    h('button', { class: 'keep-value', onclick: keep }, 'Keep this value'), out);
  return { input, box };
}

const owns = new Map();
/** What a conflict is about, by its kind (PIM conflicts: contacts or a calendar kind; `file`: a file's description). */
const KIND_LABEL = { contacts: 'contact', file: 'file' };

function renderConflicts(list) {
  $('conflict-count').textContent = list.length ? `${list.length} open` : '';
  for (const id of owns.keys()) if (!list.some((c) => c.id === id)) owns.delete(id);
  $('conflict-list').replaceChildren(...(list.length ? list.map((c) => {
    const own = owns.get(c.id) ?? ownValue(c);
    owns.set(c.id, own);
    return h('li', { class: 'conflict', 'data-conflict': c.id },
      h('div', {}, h('strong', {}, `${KIND_LABEL[c.kind] ?? 'calendar item'} ${c.uid}`), ' · ', h('code', {}, c.field)),
      h('div', { class: 'sides' }, ...c.sides.map((s) => side(c, s, own.input)), ...(c.field.startsWith('RID:') ? [] : [own.box])));
  }) : [h('li', { class: 'muted' }, 'no open conflicts')]));
}

// ---- recent changes and undo ----

/** What an undo will do (a dry run's report), in words. */
function undoPlan(r) {
  const lines = [
    ...r.items.map((i) => `${i.action === 'restore' ? 'restore' : 'delete'} ${i.item.replace(/^.*\/id\//, '').replace('/', ' ')}${i.from ? ` (as ${short(i.from)} had it)` : ''}`),
    ...(r.added || r.removed ? [`put back ${r.added} and take out ${r.removed} statement(s)`] : []),
  ];
  const skipped = r.skipped.map((s) => `left alone: ${s.subject.replace(/^.*\/id\//, '')} ${s.predicate.replace(/^.*[#/]/, '')}: ${s.reason}`);
  return { lines, skipped };
}

/** An undo: one change (`undo CHANGE`), or everything one peer did since a time (`undo --peer ID --since TIME`). */
const undoOne = (c) => ({ path: '/api/undo', body: { change: c.change }, title: `this change (${short(c.change)})` });
const undoWindow = (peer, name, since) => ({ path: '/api/undo-peer', body: { peer, since }, title: `everything ${short(name)} did since ${when(since) || since}` });

/** The dry run first: what the undo will do, in words; nothing changes until "Undo it". */
async function undoFirstLook(what, box) {
  box.replaceChildren(h('span', { class: 'muted' }, 'working out what it will do…'));
  const reply = await post(what.path, { ...what.body, dryRun: true });
  if (!reply.ok) return box.replaceChildren(h('div', { class: 'error' }, `Cannot undo: ${reply.error}`));
  const { lines, skipped } = undoPlan(reply.result);
  const n = reply.result.changes.length;
  const cancel = h('button', { type: 'button', class: 'secondary', onclick: () => box.replaceChildren() }, 'Cancel');
  box.replaceChildren(
    h('div', {}, lines.length ? `Undoing ${what.title}${n > 1 ? ` (${n} changes)` : ''} will:` : `Nothing to undo in ${what.title}.`),
    h('ul', { class: 'plan' }, ...lines.map((l) => h('li', {}, l)), ...skipped.map((l) => h('li', { class: 'muted' }, l))),
    h('div', { class: 'row' }, ...(lines.length ? [h('button', { type: 'button', class: 'danger apply-undo', onclick: () => undoApply(what, box) }, n > 1 ? `Undo all ${n}` : 'Undo it')] : []), cancel));
}

async function undoApply(what, box) {
  box.replaceChildren(h('span', { class: 'muted' }, 'undoing…'));
  const reply = await run(what.path, { ...what.body, dryRun: false }, box);
  if (reply.ok) box.replaceChildren(h('div', { class: 'done' }, reply.result.commit ? `Undone: the undo is change ${reply.result.commit} (it syncs like any edit).` : 'Nothing was left to undo.'));
}

const undoBoxes = new Map();

/** Whose window a change opens: another node's, or a CalDAV/CardDAV account's or a phone's (through this node's DAV server). */
function sourceOf(c) {
  if (c.by !== 'this node') return { peer: c.author, name: c.by };
  const dav = /^dav:([^/]+)/.exec(c.via ?? '');
  if (dav) return { peer: `dav:${dav[1]}`, name: `server ${dav[1]}` };
  const phone = /^device:dav\/(.+)$/.exec(c.via ?? '');
  return phone ? { peer: c.via, name: `phone ${phone[1]}` } : null;
}

function renderChanges(answer) {
  $('change-list').replaceChildren(...(answer.changes.length ? answer.changes.map((c) => {
    const box = undoBoxes.get(c.change) ?? h('div', { class: 'undo-plan' });
    undoBoxes.set(c.change, box);
    const from = sourceOf(c);
    return h('li', { class: 'change', 'data-change': c.change, 'data-author': c.author },
      h('div', { class: 'row' },
        h('span', { class: 'muted', title: c.time }, when(c.time)), h('span', { class: 'badge' }, c.channel),
        h('span', { class: 'grow', title: c.author }, `by ${short(c.by)}: `, c.shown.join(', '), c.records > c.shown.length ? ` and ${c.records - c.shown.length} more` : '',
          c.fields.length ? h('span', { class: 'muted' }, ` (${c.fields.join(', ')})`) : ''),
        h('span', { class: 'muted' }, `+${c.added} −${c.removed}`),
        h('button', { class: 'secondary undo', onclick: () => undoFirstLook(undoOne(c), box) }, 'Undo…'),
        from ? h('button', { class: 'secondary undo-window', title: `undo every change ${from.name} made since this one`, onclick: () => undoFirstLook(undoWindow(from.peer, from.name, c.time), box) }, `All by ${short(from.name)} since…`) : ''),
      box);
  }) : [h('li', { class: 'muted' }, 'no changes yet')]));
  $('changes-complete').textContent = answer.complete ? '' : 'older changes were compacted away and are not listed';
  const authors = new Map(answer.changes.map(sourceOf).filter(Boolean).map((f) => [f.peer, f.name]));
  $('undo-peers').replaceChildren(...[...authors].map(([id, by]) => h('option', { value: id }, by)));
}

// ---- policies ----

function renderPolicies(list) {
  $('policy-list').replaceChildren(...(list.length ? list.map((p) =>
    h('li', { 'data-policy': p.target }, h('span', { class: 'grow', title: p.target }, short(p.target)),
      h('span', { class: 'badge' + (p.policy ? ' on' : '') }, p.policy ? (p.policy.work ? 'work' : 'personal') : 'no policy'))) : [h('li', { class: 'muted' }, 'no policies: paired peers get no contacts or events until one is set')]));
  const s = app.state();
  const known = s ? [...s.peers.paired.map((p) => [p.peerId, p.name ? `${p.name}` : p.peerId]), ...(s.davClients ?? []).map((a) => [`dav:${a.name}`, `server ${a.name}`])] : [];
  $('policy-targets').replaceChildren(...known.map(([v, label]) => h('option', { value: v }, label)));
}

export async function loadViews() {
  const get = (p) => fetch(p).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.statusText))));
  const [conflicts, changes, policies] = await Promise.allSettled([get('/api/conflicts'), get('/api/changes?limit=20'), get('/api/policies')]);
  if (conflicts.status === 'fulfilled') renderConflicts(conflicts.value);
  if (changes.status === 'fulfilled') renderChanges(changes.value);
  if (policies.status === 'fulfilled') renderPolicies(policies.value);
  loadRecords();
}

/** A form whose fields become an action's body; the reply shown next to it. */
function form(id, path, body) {
  const f = $(id);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = f.querySelector('.form-result');
    const reply = await run(path, body(f), out);
    if (reply.ok) {
      out.replaceChildren(h('span', { class: 'muted' }, 'done'));
      f.reset();
    }
  });
}

export function setupViews(dashboard) {
  app = dashboard;
  const v = (f, name) => f.elements[name].value.trim();
  form('share-add-form', '/api/share-add', (f) => ({ folder: v(f, 'folder'), name: v(f, 'name') }));
  form('target-add-form', '/api/target-add', (f) => ({ dir: v(f, 'dir'), name: v(f, 'name'), mirror: String(f.elements.mirror.checked) }));
  form('dav-add-form', '/api/dav-add', (f) => ({ url: v(f, 'url'), name: v(f, 'name'), user: v(f, 'user'), passwordFile: v(f, 'passwordFile'), policy: v(f, 'policy') }));
  form('policy-form', '/api/policy-set', (f) => ({ target: v(f, 'target'), policy: v(f, 'policy') }));
  const undoForm = $('undo-peer-form');
  undoForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const peer = v(undoForm, 'peer');
    undoFirstLook(undoWindow(peer, peer, v(undoForm, 'since')), undoForm.querySelector('.undo-plan'));
  });
  setupRecords();
  loadViews();
}
