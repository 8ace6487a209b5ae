"""A rep's company list sorted by 更新日, read per scope half in index order (visibility.page_ids)."""

from django.conf import settings
from django.db import migrations, models

from daifuku.core.migration_ops import analyze


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_vocab"),
        ("customers", "0005_owner_scope_page_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["team", "updated_at", "id"],
                name="company_team_live_upd_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="company",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "updated_at", "id", "team"],
                name="company_owner_live_upd_idx",
            ),
        ),
        analyze("customers_company"),
    ]
