"""Reads of the sales module: deals (visibility applied)."""
