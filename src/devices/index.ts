// Owns: mount watching, device profiles, claiming, executing placement plans.
// May import: graph, rules, base.
export { DeviceProfileError, DeviceFullError, DeviceForeignError, DeviceNotClaimedError, DeviceIoError, DeviceEscapeError, type PlacementCounts } from './errors.js';
export { deviceDir, unsafeRelative } from './contain.js';
export { nodeKeyPath, secretName, type ClaimBinding } from './binding.js';
export {
  parseMountInfo, readMountTable, unescapeMountPath, mountFor, listVolumes, filesystemOf, filesystemUuid, stableDeviceId,
  MOUNTINFO, STANDARD_MEDIA_DIRS, type MountEntry, type Volume,
} from './mounts.js';
export { MountWatcher, watchMounts, type WatchOptions } from './watch.js';
export {
  readDeviceProfile, parseDeviceTtl, parseAudioPlayer, serializeDeviceTtl, normalizeMime, deviceIri, namingOf,
  PROFILE_DIR, PROFILE_FILE, PROFILE_MAX_BYTES, AUDIO_PLAYER_FILE, MEDIA_KINDS, DEVICE_DEFAULT_KINDS, type AudioPlayerInfo, type DeviceTtlInfo, type ReadProfileOptions,
} from './profile.js';
export {
  claimDevice, unclaimDevice, readClaims, listDevices, claimState, currentUser,
  type Claim, type ClaimCheck, type ClaimsFile, type ClaimOptions, type DeviceInfo, type DeviceState, type ListDevicesOptions,
} from './claims.js';
export { CATALOG_FILE, LEGACY_CATALOG_FILE, TEMP_PREFIX, type CatalogRecord } from './catalog/record.js';
export { serializeCatalog } from './catalog/format.js';
export { parseCatalog } from './catalog/parse.js';
export { readCatalog, readCatalogRecords, writeCatalog } from './catalog/file.js';
export { listDevice, walkDevice } from './catalog/walk.js';
export { explainPath, type Explanation } from './catalog/explain.js';
export { noteRemovedByPerson } from './catalog/removed.js';
export { PENDING_FILE, LEGACY_PENDING_FILE } from './pending.js';
export {
  executePlan, assertClaimed, assertOwner, checkPreconditions, type ScannedSource,
  type AssertClaimedOptions, type ExecuteOptions, type ExecuteResult, type ExecuteProgress, type ExecuteError,
} from './place/index.js';
export { unsafeTarget, type SourceLike } from './copy.js';
export { Stager, STAGING_DIR } from './stage.js';
export {
  moveToTrash, addToTrash, trashedFile, readTrash, emptyTrash, restoreTrash, makeRoom, xdgTrashDir, TrashRestoreError,
  TRASH_DIR, TRASH_INDEX, TRASH_DAYS, type TrashEntry, type TrashPlace,
} from './trash.js';
export { catalogGraphRows, deviceQuads, deviceGraphSource, type DeviceSeen } from './catalog/graph.js';
