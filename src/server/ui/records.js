// The dashboard's contacts and calendars: a search, then one record's fields, where it may go, and its history.
import { h } from './dom.js';

const $ = (id) => document.getElementById(id);
const short = (id) => (id && id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id);
const when = (iso) => iso.slice(0, 16).replace('T', ' ');
let open = null;

async function search() {
  const q = $('record-q').value;
  const res = await fetch(`/api/records?q=${encodeURIComponent(q)}`);
  if (!res.ok) return;
  const { rows, more } = await res.json();
  $('record-list').replaceChildren(...(rows.length ? rows.map((r) =>
    h('li', { 'data-record': r.uid, class: r.item === open ? 'open' : '' },
      h('button', { class: 'link', onclick: () => show(r.item) }, r.title), h('span', { class: 'badge' }, r.kind === 'contacts' ? 'contact' : 'event'),
      h('span', { class: 'muted grow' }, r.uid))) : [h('li', { class: 'muted' }, q ? 'nothing matches' : 'no contacts or calendar items')]),
    ...(more ? [h('li', { class: 'muted' }, 'more match: narrow the search')] : []));
}

function change(e) {
  const f = e.fields.map((x) => `${x.predicate.replace(/^.*[#/]/, '')}: ${x.from.join(', ') || '∅'} → ${x.to.join(', ') || '∅'}`);
  return h('li', {}, h('div', {}, h('span', { class: 'muted' }, when(e.time)), ' ', h('span', { class: 'badge' }, e.channel), ` by ${short(e.by)}`),
    h('ul', { class: 'plan' }, ...f.slice(0, 6).map((l) => h('li', {}, l)), ...(f.length > 6 ? [h('li', { class: 'muted' }, `and ${f.length - 6} more`)] : [])));
}

async function show(item) {
  open = item;
  const box = $('record-detail');
  const res = await fetch(`/api/record?item=${encodeURIComponent(item)}`);
  const d = await res.json();
  if (!res.ok) return box.replaceChildren(h('div', { class: 'error' }, d.error));
  box.replaceChildren(
    h('h3', {}, d.title, ' ', h('span', { class: 'muted' }, d.uid)),
    h('table', { class: 'fields' }, h('tbody', {}, ...d.fields.map((f) => h('tr', {}, h('th', {}, f.name), h('td', {}, f.values.join(', ')))))),
    h('h3', {}, 'Where it may go'),
    h('ul', { class: 'list goes' }, ...(d.goes.length ? d.goes.map((g) =>
      h('li', { 'data-target': g.target }, h('span', { class: 'grow', title: g.target }, short(g.name)), h('span', { class: 'muted' }, g.policy === 'none' ? 'no policy' : `${g.policy} policy`),
        h('span', { class: 'badge' + (g.allowed ? ' on' : '') }, g.allowed ? 'goes' : 'kept back'))) : [h('li', { class: 'muted' }, 'no paired peer or server')])),
    h('h3', {}, `History${d.history.omitted ? ` (newest ${d.history.entries.length})` : ''}`),
    h('ul', { class: 'list history' }, ...d.history.entries.slice().reverse().map(change)),
    d.history.complete ? '' : h('p', { class: 'muted' }, 'older changes were compacted away'));
  search();
}

/** Reads the list again (and the open record) after the graph changed. */
export function loadRecords() {
  search();
  if (open) show(open);
}

export function setupRecords() {
  let timer;
  $('record-q').addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  search();
}
