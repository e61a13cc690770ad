// Small helpers the dashboard's scripts share: making elements, and sending a guarded action.
const csrf = document.querySelector('meta[name="csrf-token"]').content;

/** An element with its attributes (`on…` are listeners) and children (strings become text, never HTML). */
export function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

/** POSTs an action with the page's CSRF token; its reply `{ ok, result | error }`. */
export async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
  return res.json().catch(() => ({ ok: false, error: res.statusText }));
}
