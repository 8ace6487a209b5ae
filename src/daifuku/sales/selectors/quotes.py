"""Reads of the sales module: quotes (visibility applied)."""
