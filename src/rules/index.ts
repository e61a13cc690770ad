// Owns: categorisation and placement planning: pure functions over the graph.
// May import: graph.
