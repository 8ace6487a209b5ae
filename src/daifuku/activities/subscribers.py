"""Domain-event subscribers of the activities module (timeline entries, notifications)."""
