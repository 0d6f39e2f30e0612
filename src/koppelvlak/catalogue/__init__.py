"""Attributes, data categories, purposes, lawful bases and retention."""
