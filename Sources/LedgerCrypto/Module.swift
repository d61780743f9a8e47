// LedgerCrypto: see Docs/layout.md for what this target holds.
