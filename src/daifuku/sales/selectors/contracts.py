"""Reads of the sales module: contracts (visibility applied)."""
