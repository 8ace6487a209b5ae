"""Daifuku's benchmark harness: a large-data generator and workloads measured against raw SQL.

Run from a source checkout: ``daifuku bench generate --scale 100k`` then ``daifuku bench run``.
Results are written to docs/performance.md (see bench/runner.py).
"""
