"""Event subscribers of the sales module (kept apart from services: they react, they never decide)."""
