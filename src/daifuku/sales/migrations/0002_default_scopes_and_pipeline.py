"""Default role scopes for leads, deals, quotes and contracts, and a first pipeline with stages."""

from django.db import migrations

CUSTOMER_SCOPES = {
    "administrator": ("all", "all"),
    "manager": ("team", "team"),
    "sales_rep": ("team", "own"),
    "support_agent": ("all", "none"),
    "marketing": ("all", "none"),
    "read_only": ("all", "none"),
}
WORK_SCOPES = {
    "administrator": ("all", "all"),
    "manager": ("team", "team"),
    "sales_rep": ("team", "own"),
    "support_agent": ("all", "own"),
    "marketing": ("all", "own"),
    "read_only": ("all", "none"),
}
SCOPES = {"lead": WORK_SCOPES, "deal": CUSTOMER_SCOPES, "quote": CUSTOMER_SCOPES, "contract": CUSTOMER_SCOPES}
# name, probability, won, lost
STAGES = [
    ("初回接触", 10, False, False),
    ("ヒアリング", 20, False, False),
    ("提案", 40, False, False),
    ("見積提示", 60, False, False),
    ("最終交渉", 80, False, False),
    ("受注", 100, True, False),
    ("失注", 0, False, True),
]


def forward(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    RoleScope = apps.get_model("core", "RoleScope")
    for role in Role.objects.all():
        for object_type, table in SCOPES.items():
            if role.slug not in table:
                continue
            read, edit = table[role.slug]
            RoleScope.objects.get_or_create(
                role=role, object_type=object_type, defaults={"read_scope": read, "edit_scope": edit}
            )
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="新規営業", is_default=True, sort_order=1)
        for order, (name, probability, won, lost) in enumerate(STAGES, start=1):
            Stage.objects.create(
                pipeline=pipeline,
                name=name,
                sort_order=order,
                probability=probability,
                is_won=won,
                is_lost=lost,
            )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("core", "0006_seed_currencies_and_tax_rates")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
