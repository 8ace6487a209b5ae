"""Default role scopes for activities, tasks, events and daily reports (administrators can change them)."""

from django.db import migrations

WORK_SCOPES = {
    "administrator": ("all", "all"),
    "manager": ("team", "team"),
    "sales_rep": ("team", "own"),
    "support_agent": ("all", "own"),
    "marketing": ("all", "own"),
    "read_only": ("all", "none"),
}
OBJECT_TYPES = ("activity", "task", "event", "daily_report")


def forward(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    RoleScope = apps.get_model("core", "RoleScope")
    for role in Role.objects.filter(slug__in=WORK_SCOPES):
        read, edit = WORK_SCOPES[role.slug]
        for object_type in OBJECT_TYPES:
            RoleScope.objects.get_or_create(
                role=role, object_type=object_type, defaults={"read_scope": read, "edit_scope": edit}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("core", "0004_notification_preference_and_work_object_types"),
    ]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
