// Owns: the use cases the faces call (placement, targets, PIM, peers, queries), each a class constructed with its declared dependencies.
// May import: graph, extractors, library, rules, devices, peers, pim, dav, base.
export { ConflictError, PimConflicts, type ConflictEntry, type ConflictSide, type ConflictResolution } from './conflicts.js';
