// Owns: mount watching, device profiles, claiming, executing placement plans.
// May import: graph, rules.
