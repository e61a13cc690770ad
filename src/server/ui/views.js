// The dashboard's conflicts (side by side, keep mine or theirs), recent changes with undo (what it will do, then do
// it), and the forms that add a share, a host target and a peer's privacy policy.
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
function side(c, s) {
  const keep = s.mine ? 'mine' : 'theirs';
  const chosen = c.sides.find((x) => x.mine === s.mine) === s;
  const who = s.via ? `the server ${s.via}` : s.mine ? 'this node (mine)' : s.by;
  return h('div', { class: 'side' + (s.shown ? ' shown' : ''), 'data-side': keep },
    h('div', { class: 'value' }, s.value),
    h('div', { class: 'muted', title: `${s.node} · revision ${s.rev}` }, `by ${short(who)}`, s.time ? ` · ${when(s.time)}` : ''),
    s.shown ? h('span', { class: 'badge' }, 'shown meanwhile') : '',
    chosen ? h('button', { class: 'keep', onclick: () => run('/api/conflict-resolve', { id: c.id, keep }) }, s.mine ? 'Keep mine' : 'Keep theirs')
      : h('span', { class: 'muted' }, `keep this one with semsync conflicts resolve ${c.id} --keep VALUE`));
}

function renderConflicts(list) {
  $('conflict-count').textContent = list.length ? `${list.length} open` : '';
  $('conflict-list').replaceChildren(...(list.length ? list.map((c) =>
    h('li', { class: 'conflict', 'data-conflict': c.id },
      h('div', {}, h('strong', {}, `${c.kind === 'contacts' ? 'contact' : 'calendar item'} ${c.uid}`), ' · ', h('code', {}, c.field)),
      h('div', { class: 'sides' }, ...c.sides.map((s) => side(c, s))))) : [h('li', { class: 'muted' }, 'no open conflicts')]));
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

async function undoFirstLook(c, box) {
  box.replaceChildren(h('span', { class: 'muted' }, 'working out what it will do…'));
  const reply = await post('/api/undo', { change: c.change, dryRun: true });
  if (!reply.ok) return box.replaceChildren(h('div', { class: 'error' }, `Cannot undo: ${reply.error}`));
  const { lines, skipped } = undoPlan(reply.result);
  const cancel = h('button', { class: 'secondary', onclick: () => box.replaceChildren() }, 'Cancel');
  box.replaceChildren(
    h('div', {}, lines.length ? `Undoing this change (${short(c.change)}) will:` : `Nothing to undo for ${short(c.change)}.`),
    h('ul', { class: 'plan' }, ...lines.map((l) => h('li', {}, l)), ...skipped.map((l) => h('li', { class: 'muted' }, l))),
    h('div', { class: 'row' }, ...(lines.length ? [h('button', { class: 'danger apply-undo', onclick: () => undoApply(c, box) }, 'Undo it')] : []), cancel));
}

async function undoApply(c, box) {
  box.replaceChildren(h('span', { class: 'muted' }, 'undoing…'));
  const reply = await run('/api/undo', { change: c.change, dryRun: false }, box);
  if (reply.ok) box.replaceChildren(h('div', { class: 'done' }, reply.result.commit ? `Undone: the undo is change ${reply.result.commit} (it syncs like any edit).` : 'Nothing was left to undo.'));
}

const undoBoxes = new Map();

function renderChanges(answer) {
  $('change-list').replaceChildren(...(answer.changes.length ? answer.changes.map((c) => {
    const box = undoBoxes.get(c.change) ?? h('div', { class: 'undo-plan' });
    undoBoxes.set(c.change, box);
    return h('li', { class: 'change', 'data-change': c.change },
      h('div', { class: 'row' },
        h('span', { class: 'muted', title: c.time }, when(c.time)), h('span', { class: 'badge' }, c.channel),
        h('span', { class: 'grow', title: c.author }, `by ${short(c.by)}: `, c.shown.join(', '), c.records > c.shown.length ? ` and ${c.records - c.shown.length} more` : '',
          c.fields.length ? h('span', { class: 'muted' }, ` (${c.fields.join(', ')})`) : ''),
        h('span', { class: 'muted' }, `+${c.added} −${c.removed}`),
        h('button', { class: 'secondary undo', onclick: () => undoFirstLook(c, box) }, 'Undo…')),
      box);
  }) : [h('li', { class: 'muted' }, 'no changes yet')]));
  $('changes-complete').textContent = answer.complete ? '' : 'older changes were compacted away and are not listed';
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
  setupRecords();
  loadViews();
}
