// Owns: vocabulary constants, the store, SPARQL, patches (diff/apply), the change log, version vectors.
// May import: nothing of ours.
