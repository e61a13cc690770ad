// Owns: the semsync command.
// May import: node and below; nothing imports it.
