"""Reads of the sales module: forecast (visibility applied)."""
