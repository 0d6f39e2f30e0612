"""Koppelvlak: a privacy-first data-exchange gateway for schools."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("koppelvlak")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
