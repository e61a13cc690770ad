// The node's settings in HOME/config.json now live in src/app/config.ts (the services edit them); kept for old imports.
export { defaultConfig, readConfig, writeConfig, ConfigError, type NodeConfig, type ShareConfig } from '../app/config.js';
