// The dashboard's prompts for a newcomer: a new device asks what it is (an ebook reader, a music player, a phone, a
// camera card) and is claimed with the kinds it takes; a new peer asks whether it is personal or work (and a name)
// and is paired with that privacy policy. Each prompt is kept across renders, so what is typed in it stays.
import { h, post } from './dom.js';

const $ = (id) => document.getElementById(id);
const short = (id) => (id && id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-6)}` : id);
const pad = (n) => String(n).padStart(2, '0');
const when = (iso) => { const d = new Date(iso); return Number.isNaN(d.getTime()) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`; };

/** What a device can be (the node's DEVICE_KINDS, src/server/dashboard-prompts.ts): the kinds each takes. */
const DEVICE_KINDS = [
  ['ebook', 'Ebook reader', 'ebooks'],
  ['player', 'Music player', 'music'],
  ['phone', 'Phone', 'music and photos'],
  ['photos', 'Camera card / photos', 'photos'],
  ['other', 'Something else', 'ebooks, music and photos'],
];

let app = { refresh: async () => {}, preview: () => {} };
const devicePrompts = new Map();
const peerPrompts = new Map();
/** Peers put off with "Not now" (this page only). */
const notNow = new Set();

/** Sends a prompt's action; a refusal is shown inside the prompt. */
async function answer(box, path, body) {
  for (const b of box.querySelectorAll('button')) b.disabled = true;
  const reply = await post(path, body);
  for (const b of box.querySelectorAll('button')) b.disabled = false;
  const out = box.querySelector('.prompt-result');
  if (!reply.ok) out.replaceChildren(h('div', { class: 'error' }, `Could not do that: ${reply.error}`));
  else out.replaceChildren();
  await app.refresh();
}

function devicePrompt(d) {
  const name = h('input', { class: 'narrow', name: 'name', placeholder: d.name, 'aria-label': `a name for ${d.name}` });
  const box = h('div', { class: 'prompt', 'data-device': d.id });
  const preview = h('div', { class: 'muted preview' });
  box.append(
    h('div', {}, h('strong', {}, `A new device: ${d.name}`), ' ', h('span', { class: 'muted' }, d.root), h('strong', {}, '. What is it?')),
    h('div', { class: 'row kinds' }, ...DEVICE_KINDS.map(([what, label, takes]) =>
      h('button', { class: 'secondary', 'data-what': what, title: `claim it; semsync files ${takes} onto it`, onclick: () => answer(box, '/api/claim-as', { deviceId: d.id, what, name: name.value.trim() }) }, label)),
    h('label', { class: 'row name' }, 'name', name)),
    preview, h('div', { class: 'prompt-result' }));
  return { box, preview };
}

/** One prompt per unclaimed device: what is it? Claiming it files the kinds of media that kind of device takes. */
export function renderDevicePrompts(devices) {
  const unclaimed = devices.filter((d) => d.state === 'unclaimed');
  for (const id of devicePrompts.keys()) if (!unclaimed.some((d) => d.id === id)) devicePrompts.delete(id);
  $('claim-prompts').replaceChildren(...unclaimed.map((d) => {
    const p = devicePrompts.get(d.id) ?? devicePrompt(d);
    devicePrompts.set(d.id, p);
    app.preview(d, p.preview);
    return p.box;
  }));
}

function peerPrompt(p) {
  const name = h('input', { class: 'narrow', name: 'name', placeholder: 'a name (laptop, office…)', 'aria-label': `a name for ${p.peerId}` });
  const box = h('div', { class: 'prompt', 'data-peer-prompt': p.peerId });
  const head = h('div', {});
  const pair = (what) => answer(box, '/api/pair-as', { peerId: p.peerId, what, name: name.value.trim() });
  box.append(head,
    h('div', { class: 'row' }, h('label', { class: 'row name' }, 'name', name), h('span', {}, 'Is it'),
      h('button', { class: 'secondary', 'data-what': 'personal', title: 'pair; every contact and event may go to it', onclick: () => pair('personal') }, 'Personal'),
      h('button', { class: 'secondary', 'data-what': 'work', title: 'pair; no Personal contacts, private events or birthdays go to it', onclick: () => pair('work') }, 'Work'),
      h('button', { class: 'secondary not-now', onclick: () => { notNow.add(p.peerId); box.remove(); } }, 'Not now')),
    h('div', { class: 'muted' }, 'Work: no Personal contacts, no private events, no birthdays go to it. Personal: everything may. Files go only where you grant a share.'),
    h('div', { class: 'prompt-result' }));
  return { box, head };
}

/** One prompt per peer that asked to pair (it paired with this node on its side) or is nearby and not paired. */
export function renderPeerPrompts(peers) {
  const shown = peers.nearby.filter((p) => !notNow.has(p.peerId));
  for (const id of peerPrompts.keys()) if (!shown.some((p) => p.peerId === id)) peerPrompts.delete(id);
  $('peer-prompts').replaceChildren(...shown.map((p) => {
    const x = peerPrompts.get(p.peerId) ?? peerPrompt(p);
    peerPrompts.set(p.peerId, x);
    x.head.replaceChildren(
      h('strong', { title: p.peerId }, p.asked ? `A node asks to pair: ${short(p.peerId)}` : `A node nearby, not paired: ${short(p.peerId)}`),
      ' ', h('span', { class: 'muted' }, p.asked ? `(it paired with this one on its side; last tried ${when(p.asked)})` : p.addrs[0] ?? ''));
    return x.box;
  }));
}

/** The prompt of a nearby peer again (after "Not now"), scrolled into view: pairing from the Nearby list asks too. */
export async function askAboutPeer(peerId) {
  notNow.delete(peerId);
  await app.refresh();
  const box = document.querySelector(`[data-peer-prompt="${CSS.escape(peerId)}"]`);
  box?.scrollIntoView({ block: 'center' });
  box?.querySelector('input')?.focus();
}

export function setupPrompts(dashboard) {
  app = dashboard;
}
