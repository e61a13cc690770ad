// Owns: categorisation and placement planning: pure functions over the graph.
// May import: graph, base.

export type { DeviceEntry, DeviceProfile, MediaKind, Operation } from './types.js';
export { RuleEvaluationError, RuleFileError } from './errors.js';
export { type RuleGraph, type ContentFacts, KIND_CLASS, fetchFacts } from './graph.js';
export {
  type CategoryRule,
  type DerivedFrom,
  type PlacementRule,
  type Rules,
  defaultRulesFile,
  KINDS,
  loadDefaultRules,
  loadRules,
  userRulesFiles,
} from './load.js';
export { type Assigned, categorise, categoryQuads, categoriseFacts } from './categorise.js';
export { type PlanInput, type SourceFile, placementRule, plan, prepareFieldValues, suffixedPath, REMOVED_BY_PERSON } from './plan.js';
export {
  type FileSystemKind,
  MAX_PATH,
  MAX_SEGMENT,
  legalSegment,
  pathKey,
  safeRelativePath,
  suffixedSegment,
} from './names.js';
export { FIELDS, type Field, parseTemplate } from './template.js';
export { subjectKey } from './match.js';
export { canonicalMime } from './fields.js';
export { DOCUMENT_FORMATS, effectiveProfile } from './documents.js';
