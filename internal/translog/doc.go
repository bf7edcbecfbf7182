// Package translog is the transparency log of the custody ledger: an
// append-only Merkle tree (RFC 6962 / RFC 9162 hashing) over small public
// leaves that commit to each ledger event by its hash, stored as C2SP
// tlog-tiles, with checkpoints in the C2SP signed-note format signed by the
// log's Ed25519 key and co-signed by witnesses (C2SP tlog-cosignature), and
// offline-verifiable proof bundles (C2SP tlog-proof).
//
// It is the only importer of golang.org/x/mod/sumdb (tlog for the tree,
// tiles and proofs, note for signed notes): the Go checksum database's own
// implementation of the same hashing and tiling, small, dependency-free and
// kept by the Go team. The package holds no database and no HTTP: the
// PostgreSQL adapter stores tiles and leaves, the web adapter serves them.
//
// docs/transparency-log.md describes the formats, what is public and what
// is only committed by hash.
package translog
