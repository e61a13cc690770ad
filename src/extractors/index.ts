// Owns: bytes → quads, one folder per family (epub, audio, photo, vcard, ical, generic); registry.ts is the only list.
// May import: graph/vocab.
