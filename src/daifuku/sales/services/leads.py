"""Writes of the sales module: leads."""
