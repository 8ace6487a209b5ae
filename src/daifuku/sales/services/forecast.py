"""Writes of the sales module: forecast."""
