// Moved to src/app/device-graph.ts (each device's catalog as a graph); kept for old imports.
export { DeviceGraphs, CatalogGraphError, CATALOG_GRAPH_MAX_BYTES, type SeenRow, type DeviceGraphsComponents } from '../app/device-graph.js';
