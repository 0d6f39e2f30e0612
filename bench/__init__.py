"""Benchmarks and the input generator they (and the round-trip tests) share."""
