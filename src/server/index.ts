// Owns: HTTP on 127.0.0.1: the SPARQL endpoint, the dashboard, events.
// May import: node and below; nothing imports it.
