// What a device's catalog holds: one record per file semsync placed on it, and where the catalog lives on the device.

export const CATALOG_FILE = '.semsync/catalog.trig';
/** Where versions before the TriG catalog kept it (N-Quads): read when there is no CATALOG_FILE, removed by the next write. */
export const LEGACY_CATALOG_FILE = '.semsync/catalog.nq';
export const TEMP_PREFIX = '.semsync-tmp-';

/** One file semsync placed on a device. */
export interface CatalogRecord {
  /** Relative to the device root, '/'-separated, NFC. */
  path: string;
  /** urn:sha256:HEX */
  content: string;
  size: number;
  /** The placement rule's IRI (ss:placedBy). */
  rule: string;
  /** The metadata values the rule's template used. */
  values: Record<string, string>;
  /** When it was placed (ISO 8601). */
  placedAt: string;
  /**
   * When semsync found the file gone from the device (ISO 8601): the person deleted it by hand, so it is not copied
   * back (`semsync place --restore` does). Such a record describes no file on the device.
   */
  removedAt?: string;
  /**
   * When the person put the file back from the trash (ISO 8601): it is theirs now, never removed or moved by semsync
   * (not even in mirror mode), and still a copy of its content.
   */
  restoredAt?: string;
}

/** Any character outside ASCII: only then can a path differ from its NFC form. */
export const NON_ASCII = /[^\x00-\x7f]/;
