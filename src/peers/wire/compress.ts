// Patch frames compressed with raw DEFLATE and a shared dictionary of our namespaces (wire version 2); inflation is capped.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { WireError } from './frame.js';

/**
 * What RDF Patch text of ours is made of: row syntax, header names, the vocabularies and our IRI shapes. Both sides
 * must hold the same bytes: changing it needs a new wire version. The most frequent strings come last (nearest).
 */
const DICTIONARY = Buffer.from(
  [
    '"^^<http://www.w3.org/2001/XMLSchema#boolean> "^^<http://www.w3.org/2001/XMLSchema#decimal> ',
    '"^^<http://www.w3.org/2001/XMLSchema#date> "^^<http://www.w3.org/2001/XMLSchema#gYear> ',
    '<http://www.w3.org/2006/vcard/ns#> <http://www.w3.org/2002/12/cal/ical#> <http://id.loc.gov/vocabulary/relators/',
    '<http://www.semanticdesktop.org/ontologies/2007/05/10/nexif#',
    '<http://www.w3.org/2003/01/geo/wgs84_pos#lat> <http://www.w3.org/2003/01/geo/wgs84_pos#long> ',
    '<http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#MusicPiece> <http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#musicAlbum> ',
    '<http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#albumArtist> <http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#trackNumber> ',
    '<http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#performer> <http://www.semanticdesktop.org/ontologies/2009/02/19/nmm#genre> ',
    '<http://xmlns.com/foaf/0.1/Person> <http://xmlns.com/foaf/0.1/name> <http://www.w3.org/2000/01/rdf-schema#label> ',
    '<http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#Image> <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#width> ',
    '<http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#height> <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#Document> ',
    '<http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileLastModified> "^^<http://www.w3.org/2001/XMLSchema#dateTime> ',
    '<http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileName> <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#genre> ',
    '<http://purl.org/dc/terms/subject> <http://purl.org/dc/terms/language> <http://purl.org/dc/terms/date> ',
    '<http://purl.org/dc/terms/publisher> <http://purl.org/dc/terms/identifier> <http://purl.org/dc/terms/description> ',
    '<http://purl.org/dc/terms/creator> <http://purl.org/dc/terms/title> "^^<http://www.w3.org/2001/XMLSchema#integer> ',
    '<https://w3id.org/semsync/ns#EBook> <https://w3id.org/semsync/ns#relativePath> <https://w3id.org/semsync/ns#share> ',
    '<https://w3id.org/semsync/ns#series> <https://w3id.org/semsync/ns#category> <https://w3id.org/semsync/ns#extractor> ',
    '<https://w3id.org/semsync/id/person/ <https://w3id.org/semsync/id/genid/ <https://w3id.org/semsync/id/album/ ',
    '<http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#FileDataObject> <http://www.semanticdesktop.org/ontologies/2007/03/22/nfo#fileSize> ',
    '<http://www.semanticdesktop.org/ontologies/2007/01/19/nie#mimeType> <http://www.semanticdesktop.org/ontologies/2007/01/19/nie#interpretedAs> ',
    '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "application/epub+zip" "image/jpeg" "audio/mpeg" ',
    'H id <urn:semsync:patch:12D3KooW H prev <urn:semsync:patch:12D3KooW',
    '> .\nH author "12D3KooW" .\nH seq "" .\nH hlc "" .\nTX .\nTC .\n',
    'D <file:///home/ .\nA <file:///home/',
    '> <https://w3id.org/semsync/id/graph/12D3KooW/share/ .\nA <urn:sha256:',
  ].join(''),
  'utf8',
);

/** Bytes a compressed patch may inflate to: a patch this big is sent in plain pieces instead. */
export const MAX_INFLATED = 1 << 20;

export function deflatePatch(text: Uint8Array): Uint8Array {
  return deflateRawSync(text, { dictionary: DICTIONARY, level: 9, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
}

/** Inflate a compressed patch; more than `max` bytes out (a decompression bomb) or a corrupt stream is a WireError. */
export function inflatePatch(bytes: Uint8Array, max = MAX_INFLATED): Uint8Array {
  try {
    return inflateRawSync(bytes, { dictionary: DICTIONARY, maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new WireError(`compressed patch inflates past ${max} bytes`);
    throw new WireError(`compressed patch: ${e.message}`);
  }
}
