// LedgerTypes: see Docs/layout.md for what this target holds.
