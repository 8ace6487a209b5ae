"""Writes of the sales module: deals."""
