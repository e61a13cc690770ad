// Owns: PIM data beyond extraction: the merge rule (merge.ts, the only one), the per-node PIM graphs and their merged view,
// export of contacts/calendars from RDF (.vcf/.ics), privacy policies as pure functions.
// May import: graph, extractors, base.
export { calendarItemLines, exportIcs, exportVcf, pimItems, vcardLines } from './export.js';
export type { ExportOptions } from './export.js';
export { ICAL_FIELDS, QuadIndex, VCARD_FIELDS } from './fields.js';
export { baseOf, compareDot, compareRev, covers, mergeVersions, replicaMerge, versionClocks, FIELD_CLOCKS } from './merge.js';
export type { Base, ClockOptions, Ctx, Dot, Entry, FieldConflict, MergedItem, Version } from './merge.js';
export { fieldMode, itemFields } from './field-values.js';
export { PIM_KINDS, exportItems, liveMasters, mergedView, pimGraph, readPimBytes, writeItems } from './store.js';
export type { ItemGroup, MergedView, PimKindName, PimStore, WriteOptions, WriteResult } from './store.js';
export type { Field } from './fields.js';
export {
  PolicyError,
  WORK_EXCLUSIONS,
  allowedItem,
  effectiveExclusions,
  filterQuads,
  isBirthdayEvent,
  parsePolicy,
  policyHook,
  withoutBirthday,
} from './policy.js';
export type { Exclusions, PimPolicy, PolicyHook } from './policy.js';
export { readCalendars, readCalendarItemText, readVcards, readVcardLines } from '../extractors/index.js';
export type { PimItem, PimRead } from '../extractors/index.js';
export { pimKindOf, groupByMaster, nextRevision, pimGraphs } from './store.js';
export { repairForServer } from './repair.js';
export { allowedGroup } from './policy.js';
