"""API of events and daily reports (mounted beside ``activities.api``)."""

from ninja import Router

router = Router(tags=["calendar"])
