"""Data-subject rights: requests, access exports, erasure, retention and holds."""
