"""Parsers for LAS exports (UWLR XML, OneRoster CSV) that produce frozen snapshots, no database."""
