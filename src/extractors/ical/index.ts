// Calendars (.ics, read with ical.js): each VEVENT / VTODO / VJOURNAL becomes an item the file's content ss:contains.
import { readFile } from 'node:fs/promises';
import type { NamedNode } from '@rdfjs/types';
import { DCTERMS, ICAL as CAL, SS } from '../../graph/vocab.js';
import { MAX_PIM_BYTES } from '../vcard/index.js';
import type { Extraction, Extractor, FileInput } from '../types.js';
import { QuadList, addPimItems, pimContent } from './quads.js';
import { readCalendars } from './read.js';

export const icalExtractor: Extractor = {
  name: 'ical',
  accepts: (mime) => mime === 'text/calendar',
  async extract(file: FileInput, content: NamedNode): Promise<Extraction> {
    const q = new QuadList();
    pimContent(q, content, 'ical', SS('Calendar'));
    if (file.size > MAX_PIM_BYTES) return { quads: q.quads, errors: [`larger than ${MAX_PIM_BYTES} bytes: not read as a calendar`] };
    const r = readCalendars(file.bytes ?? (await readFile(file.path)));
    const unescape = (v: string | undefined) => v?.replace(/\\([\\,;])/g, '$1').replace(/\\[nN]/g, '\n');
    q.text(content, DCTERMS('title'), unescape(r.calendar['X-WR-CALNAME']));
    q.text(content, CAL('prodid'), unescape(r.calendar.PRODID));
    q.text(content, CAL('method'), r.calendar.METHOD?.trim().toUpperCase());
    for (const x of r.timezoneQuads) q.quads.push(x);
    const errors = [...r.errors];
    addPimItems(q, content, r.items, errors);
    return { quads: q.quads, errors };
  },
};

export { readCalendars, readCalendarItemText } from './read.js';
export type { CalendarRead } from './read.js';
export { TimezoneTable } from './timezones.js';
export { canonicalRruleText } from './map.js';
export { foldLine } from './lines.js';
