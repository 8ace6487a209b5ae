"""Reads of the sales module: leads (visibility applied)."""
