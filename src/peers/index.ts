// Owns: libp2p node, identity, trust, discovery, sync protocol (wire/), file transfer.
// May import: graph.
