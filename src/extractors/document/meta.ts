// What a document says about itself, whatever its format: the shape the office and PDF readers fill in.

/** The kind of document, from its format: it decides the Nepomuk class. */
export type DocumentKind = 'text' | 'spreadsheet' | 'presentation' | 'drawing' | 'pdf';

export interface DocumentMeta {
  kind: DocumentKind;
  title?: string;
  /** Authors, in order (a `;`-separated list is split). */
  creators: string[];
  /** The document's subject and its keywords, in that order. */
  subjects: string[];
  description?: string;
  language?: string;
  /** Dates as written by the format (ISO 8601, or a PDF date already converted to ISO). */
  created?: string;
  modified?: string;
  pageCount?: number;
}

export function emptyMeta(kind: DocumentKind): DocumentMeta {
  return { kind, creators: [], subjects: [] };
}

/** Authors written as one string (`A; B`, as pandoc and LibreOffice join them): split on `;`, never on `,` ("Last, First"). */
export function splitPeople(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(';').map((s) => s.trim()).filter((s) => s !== '');
}

/** Keywords written as one string: split on `,` or `;` (a keyword may hold spaces: "Space flight"). */
export function splitKeywords(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/[,;]/).map((s) => s.trim()).filter((s) => s !== '');
}
