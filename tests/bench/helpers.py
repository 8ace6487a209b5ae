"""Shared steps of the generator tests."""

from collections.abc import Callable
from typing import Any

from bench.scales import Scale
from django.db import transaction

from bench import generator


def generated_then_read(scale: Scale, seed: int, read: Callable[[], Any]) -> Any:
    """Generate ``scale`` with ``seed``, ``read()`` what was written, and roll it all back."""
    with transaction.atomic():
        generator.generate(scale=scale, seed=seed)
        found = read()
        transaction.set_rollback(True)
    return found
