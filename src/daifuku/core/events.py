"""Named domain events: services emit, subscribers (notifications, timeline, automation) react.

Subscribers run synchronously inside the emitting transaction, in registration order; a subscriber
that sends mail or calls out should enqueue a Huey task with ``transaction.on_commit``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def emit(name: str, **payload: Any) -> None:
    for handler in list(_handlers.get(name, ())):
        handler(name=name, **payload)


def subscribers(name: str) -> list[Handler]:
    return list(_handlers.get(name, ()))
