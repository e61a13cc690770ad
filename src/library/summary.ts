// What a scan reports: its summary and its progress.
export interface ScanSummary {
  share: string;
  files: number;
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  errors: Array<{ path: string; message: string }>;
  /** Folders left out on purpose (a semsync home inside the share): each said once by this indexer, then silently. */
  skipped?: Array<{ path: string; message: string }>;
}

export interface ScanProgress {
  share: string;
  /** Files seen by the walk so far. */
  seen: number;
  /** Files read (hashed and described) so far, and how many need reading so far. */
  read: number;
  toRead: number;
  done: boolean;
}
