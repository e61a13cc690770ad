// The shapes rules and devices trade in: a device profile (what a device accepts and where), and the
// operations a placement plan is made of. Planning (src/rules/) makes them; src/devices/ executes them.

/** What a device accepts and where media goes on it: read from `.semsync/device.ttl` or `.is_audio_player`. */
export interface DeviceProfile {
  id: string;
  name: string;
  /** The user who claimed the device, if any. */
  owner?: string;
  /** Kinds of media the device takes: 'ebook', 'music', 'photo', 'document'. */
  accepts: MediaKind[];
  /** MIME types the device plays or reads, per kind; an empty or missing list means any. */
  formats: Partial<Record<MediaKind, string[]>>;
  /** Folder per kind relative to the device root, e.g. { music: 'Music', ebook: 'eBooks' } (overrides the rule's). */
  folders: Partial<Record<MediaKind, string>>;
  /** `.is_audio_player` folder_depth: how many folder levels music paths may have below the music folder. */
  folderDepth?: number;
  /** The filesystem's naming rules: 'vfat'/'exfat' are the strict ones; 'posix' only forbids '/' and NUL. */
  filesystem: 'vfat' | 'exfat' | 'posix';
  /**
   * Mirror the library (`ss:mirror true`): what semsync placed goes when its content leaves the library. Default
   * (copy, not mirror): what semsync placed stays when its source goes away (a visitor leaves, a grant is revoked,
   * the source is deleted); it belongs to the person now.
   */
  mirror?: boolean;
  /** Where the profile came from, for error messages. */
  source: string;
}

/** Kinds of content rules place; 'document' is PDF, ODF and OOXML (nfo:Document). */
export type MediaKind = 'ebook' | 'music' | 'photo' | 'document';

/** One file a device holds, as listed before planning. `placedBy` is set for files semsync placed itself. */
export interface DeviceEntry {
  path: string; // relative to the device root, '/'-separated
  size: number;
  content?: string; // urn:sha256:... when known (from the device catalog)
  placedBy?: string; // the rule IRI that placed it, from the device catalog
}

export type Operation =
  | {
      kind: 'copy';
      /** The content resource (urn:sha256:HEX) to put there. */
      content: string;
      /** A local file holding those bytes, if this node has one; otherwise fetch by hash from a peer. */
      source?: string;
      /**
       * A file already on this device (relative path) holding the same bytes, e.g. where a rule change moves a
       * file from: the executor may copy (or, if a 'remove' of it follows, rename) it instead of fetching.
       */
      deviceSource?: string;
      /** The target path relative to the device root, legal on the device's filesystem. */
      target: string;
      size: number;
      /** The placement rule's IRI, recorded in the catalog so `explain` can answer. */
      rule: string;
      /** The metadata values the template used, for `explain`. */
      values: Record<string, string>;
    }
  | { kind: 'remove'; target: string; reason: string }
  | { kind: 'skip'; content: string; reason: string };
