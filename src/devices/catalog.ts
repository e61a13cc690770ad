// Shim (remove at merge): the catalog moved into ./catalog/ (record, format, parse, file, walk, explain). Files that
// still import './catalog.js' (execute, copy, stage, pending, trash) get the same names from here.
export { CATALOG_FILE, LEGACY_CATALOG_FILE, TEMP_PREFIX, type CatalogRecord } from './catalog/record.js';
export { catalogBytes, graphOf, prepareCatalogRecords, serializeCatalog } from './catalog/format.js';
export { parseCatalog } from './catalog/parse.js';
export { readCatalog, readCatalogRecords, writeCatalog } from './catalog/file.js';
export { listDevice, walkDevice } from './catalog/walk.js';
export { explainPath, type Explanation } from './catalog/explain.js';
