// Bounded reading of named members from an office zip (ODF, OOXML) through yauzl: never the whole archive.
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { FailureError } from '../../base/index.js';

/** A metadata member (meta.xml, docProps/core.xml) larger than this is refused, whatever its declared size says. */
export const MAX_MEMBER_BYTES = 4 * 1024 * 1024;
/** How many central directory entries are looked at before giving up on finding the members. */
export const MAX_ENTRIES = 20_000;

/** A zip that cannot be read, or a member that breaks a bound (a zip bomb, a huge member). */
export class OfficeZipError extends FailureError {
  override name = 'OfficeZipError';
}

function openZip(source: string | Buffer): Promise<yauzl.ZipFile> {
  const opts: yauzl.Options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };
  return typeof source === 'string' ? yauzl.openPromise(source, opts) : yauzl.fromBufferPromise(source, opts);
}

/** Reads a stream to its end, failing once it passes `cap` bytes (the declared size may lie). */
async function readCapped(stream: Readable, cap: number, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > cap) {
      stream.destroy();
      throw new OfficeZipError(`${name} inflates past ${cap} bytes: refused (a zip bomb?)`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/**
 * The members named in `wanted` (exact names; absent members are left out of the result). The central directory
 * is walked entry by entry until every wanted member is found or {@link MAX_ENTRIES} entries were seen.
 * Also returns the names of the members seen (the first 1000), for the caller to tell formats apart.
 */
export async function readMembers(source: string | Buffer, wanted: readonly string[]): Promise<{ members: Map<string, Buffer>; names: Set<string> }> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(source);
  } catch (e) {
    throw new OfficeZipError(`not a readable zip: ${e instanceof Error ? e.message : String(e)}`);
  }
  const members = new Map<string, Buffer>();
  const names = new Set<string>();
  const left = new Set(wanted);
  try {
    let seen = 0;
    for await (const entry of zip.eachEntry()) {
      if (++seen > MAX_ENTRIES) throw new OfficeZipError(`more than ${MAX_ENTRIES} members: stopped looking`);
      if (names.size < 1000) names.add(entry.fileName);
      if (!left.has(entry.fileName)) continue;
      left.delete(entry.fileName);
      if (entry.uncompressedSize > MAX_MEMBER_BYTES) {
        throw new OfficeZipError(`${entry.fileName} is ${entry.uncompressedSize} bytes (more than ${MAX_MEMBER_BYTES}): refused`);
      }
      if (entry.isEncrypted()) throw new OfficeZipError(`${entry.fileName} is encrypted`);
      const stream = await zip.openReadStreamPromise(entry);
      members.set(entry.fileName, await readCapped(stream, MAX_MEMBER_BYTES, entry.fileName));
      if (left.size === 0) break;
    }
  } catch (e) {
    if (e instanceof OfficeZipError) throw e;
    throw new OfficeZipError(`damaged zip: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    zip.close();
  }
  return { members, names };
}
