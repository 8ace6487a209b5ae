"""URLs of the calendar (events, ICS feeds and import), daily reports and the activity dashboard."""

urlpatterns: list = []
