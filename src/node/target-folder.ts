// Moved to src/app/target-folder.ts; kept for old imports.
export * from '../app/target-folder.js';
