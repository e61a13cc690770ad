// Owns: the composition root: builds one running node from the parts above.
// May import: all of src/ but cli and server.
