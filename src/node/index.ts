// Owns: the composition root: opens the home (lock, identity, config, store), builds the app/ services once and holds them, runs one start/stop lifecycle (daemon.ts).
// May import: all of src/ but cli and server.
