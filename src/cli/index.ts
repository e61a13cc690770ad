// Owns: the semsync command.
// May import: node and below, server (its sibling in the layout: `start` serves HTTP); nothing imports it.
