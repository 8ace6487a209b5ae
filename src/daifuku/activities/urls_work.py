"""URLs of activities, timeline, tasks and notifications preferences."""

urlpatterns: list = []
