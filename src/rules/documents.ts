// Documents on readers: a device that lists a document format (PDF, ...) among its ebook formats takes documents in
// those formats, in its ebook folder, without accepting every document kind.
import type { DeviceProfile } from './types.js';
import { canonicalMime } from './fields.js';

/** MIME types of documents (the document extractor's), as a reader's ebook format list may name them. */
export const DOCUMENT_FORMATS: readonly string[] = [
  'application/pdf',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/vnd.oasis.opendocument.graphics',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
];

/**
 * The profile planning uses: when the device does not accept documents as such but its ebook formats name document
 * formats (a reader with `ss:format "application/epub+zip", "application/pdf"`), it accepts documents in those
 * formats only, placed in its ebook folder (the profile's, else `ebookRuleFolder`: the ebook placement rule's).
 * Otherwise the profile as it is.
 */
export function effectiveProfile(profile: DeviceProfile, ebookRuleFolder?: string): DeviceProfile {
  if (profile.accepts.includes('document') || !profile.accepts.includes('ebook')) return profile;
  const docFormats = (profile.formats.ebook ?? []).map(canonicalMime).filter((m) => DOCUMENT_FORMATS.includes(m));
  if (docFormats.length === 0) return profile;
  const folders = { ...profile.folders };
  const ebookFolder = folders.ebook ?? ebookRuleFolder;
  if (folders.document === undefined && ebookFolder) folders.document = ebookFolder;
  return { ...profile, accepts: [...profile.accepts, 'document'], formats: { ...profile.formats, document: docFormats }, folders };
}

/** True when `profile` takes documents only through its ebook formats: documents in other formats are left out, not skipped. */
export function documentsByEbookFormats(original: DeviceProfile, effective: DeviceProfile): boolean {
  return original !== effective;
}
