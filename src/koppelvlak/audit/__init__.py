"""The append-only, hash-chained disclosure ledger."""
