// Owns: shared folders: walk, watch (chokidar), hash, incremental index into the graph.
// May import: extractors, graph.
