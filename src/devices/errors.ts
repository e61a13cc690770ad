// Named errors of the devices layer: broken profiles, full devices, foreign devices, I/O failures mid-plan.
import { FailureError, InputError } from '../base/index.js';

/**
 * What a placement run had done when it stopped: the counts of its result. A placement's full result
 * (`ExecuteResult`, src/devices/place/types.ts) extends it; declared here so this module imports nothing of the
 * devices layer (every other module of it may import the errors).
 */
export interface PlacementCounts {
  copied: number;
  removed: number;
  skipped: number;
  bytes: number;
  recovered: number;
  tempRemoved: number;
}

/** A `.semsync/device.ttl` or `.is_audio_player` that cannot be read; names the file and (when known) the line. */
export class DeviceProfileError extends InputError {
  override readonly name = 'DeviceProfileError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
  }
}

/** The plan needs more bytes than the device has free; raised before anything is written. */
export class DeviceFullError extends FailureError {
  override readonly name = 'DeviceFullError';
  constructor(
    readonly root: string,
    readonly need: number,
    readonly free: number,
  ) {
    super(`device ${root} is too full: the plan needs ${need} bytes, ${free} bytes are free`);
  }
}

/** The device belongs to another user (its profile names another owner): it is left alone. */
export class DeviceForeignError extends FailureError {
  override readonly name = 'DeviceForeignError';
  constructor(
    readonly root: string,
    readonly owner: string,
    readonly user: string,
  ) {
    super(`device ${root} is owned by ${owner}, not ${user}: leaving it alone`);
  }
}

/** The device has not been claimed on this machine (or has no `.semsync/device.ttl`): nothing is written to it. */
export class DeviceNotClaimedError extends FailureError {
  override readonly name = 'DeviceNotClaimedError';
  constructor(
    readonly root: string,
    readonly reason: string,
  ) {
    super(`device ${root} is not claimed: ${reason}`);
  }
}

/**
 * Writing to the device failed (it vanished, is full, went read-only): execution stopped cleanly, with no
 * partial target file. `result` says what was done before; running the plan again finishes the job.
 */
export class DeviceIoError<R extends PlacementCounts = PlacementCounts> extends FailureError {
  override readonly name = 'DeviceIoError';
  constructor(
    readonly root: string,
    readonly target: string,
    readonly code: string | undefined,
    readonly result: R,
    cause?: unknown,
  ) {
    super(`device ${root}: writing ${target} failed (${code ?? 'error'}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * A path semsync was about to write, rename or delete on a device resolves outside the device root (a symbolic link
 * on the device, or a name leaving it): refused, nothing done there. `code` is 'EUNSAFE'.
 */
export class DeviceEscapeError extends FailureError {
  override readonly name = 'DeviceEscapeError';
  readonly code = 'EUNSAFE';
  constructor(
    readonly root: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`device ${root}: refused to touch ${path}: ${reason}`);
  }
}
