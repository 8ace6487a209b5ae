"""Writes of the sales module: quotes."""
