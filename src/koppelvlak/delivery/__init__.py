"""Outbound: deletion notices, the delivery outbox and its worker, push connections (issue 12)."""
