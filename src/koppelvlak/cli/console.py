"""Shared console objects: Rich on stderr for progress and messages, stdout for results."""

from __future__ import annotations

from rich.console import Console

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)
