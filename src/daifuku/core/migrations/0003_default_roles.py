"""The six built-in roles and their default scopes on companies and contacts."""

from django.db import migrations

ROLES = [
    ("administrator", "管理者", "Administrator", True),
    ("manager", "マネージャー", "Manager", False),
    ("sales_rep", "営業担当", "Sales rep", False),
    ("support_agent", "サポート担当", "Support agent", False),
    ("marketing", "マーケティング", "Marketing", False),
    ("read_only", "閲覧のみ", "Read only", False),
]
SCOPES = {
    "administrator": ("all", "all"),
    "manager": ("team", "team"),
    "sales_rep": ("team", "own"),
    "support_agent": ("all", "none"),
    "marketing": ("all", "none"),
    "read_only": ("all", "none"),
}


def forward(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    RoleScope = apps.get_model("core", "RoleScope")
    for slug, name, name_en, is_admin in ROLES:
        role, _ = Role.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "is_admin": is_admin}
        )
        read, edit = SCOPES[slug]
        for object_type in ("company", "contact"):
            RoleScope.objects.get_or_create(
                role=role, object_type=object_type, defaults={"read_scope": read, "edit_scope": edit}
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_search_backends")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
