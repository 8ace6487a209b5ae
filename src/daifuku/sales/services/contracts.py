"""Writes of the sales module: contracts."""
