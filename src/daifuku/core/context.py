"""Who is acting and from where, for the audit trail. Set by middleware, the API, the CLI."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    via: str = "system"  # web / api / cli / import / system


_SYSTEM = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("daifuku_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _SYSTEM


@contextlib.contextmanager
def acting(ip_address: str | None = None, via: str = "system") -> Iterator[RequestContext]:
    ctx = RequestContext(ip_address=ip_address, via=via)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
