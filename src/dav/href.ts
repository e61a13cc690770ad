// Hrefs as the server names them: one comparison key (percent-decoding, RFC 3986 normalisation), safe names for new objects, origins.
import { createHash } from 'node:crypto';
import type { PimKindName } from '../pim/index.js';

/** Decodes one path segment's percent-escapes (a broken escape is kept as it is). */
function decodeSegment(seg: string): string {
  return seg.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.toUpperCase();
    }
  });
}

/**
 * The key two hrefs are compared by: scheme and host lower-cased, default port dropped, dot segments removed (WHATWG
 * URL), then every path segment percent-decoded and re-encoded one way (`%40` and `@`, `%7e` and `~`, `%C3%A9` and `é`
 * are one name; `%2F` stays apart from `/`). Query and fragment are not part of an object's name.
 */
export function hrefKey(href: string, base?: string): string {
  const u = new URL(href, base);
  const path = u.pathname
    .split('/')
    .map((s) => encodeURIComponent(decodeSegment(s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))
    .join('/');
  return `${u.protocol}//${u.host}${path}`;
}

/** The same object, whatever the spelling of either href. */
export const sameHref = (a: string, b: string): boolean => hrefKey(a) === hrefKey(b);

/** Is `child` inside the collection `parent` (or the collection itself)? Compared by {@link hrefKey}. */
export function isInside(child: string, parent: string): boolean {
  const c = hrefKey(child);
  const p = hrefKey(parent).replace(/\/?$/, '/');
  return c === p.slice(0, -1) || c.startsWith(p);
}

const SAFE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/**
 * The file name semsync gives a new object: the UID itself when it is a short run of letters, digits, `-`, `_` and
 * `.` (what every server stores as is), else the hex SHA-256 of the UID (no `@`, `/`, `%`, `+`, space or non-ASCII
 * letter that servers would re-encode, and stable: the same UID always gets the same name).
 */
export function objectName(master: string, kind: PimKindName): string {
  const uid = decodeSegment(master.slice(master.lastIndexOf('/') + 1));
  const name = SAFE.test(uid) && !/\.(ics|vcf)$/i.test(uid) ? uid : createHash('sha256').update(uid).digest('hex').slice(0, 40);
  return `${name}.${kind === 'calendar' ? 'ics' : 'vcf'}`;
}

/** 127.0.0.0/8, ::1 and localhost: where a password over plain http does not cross a network. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
