# The owner half of a team-scoped board's totals (my deals filed under another team) reads a covering
# index too.

from django.conf import settings
from django.db import migrations, models

from daifuku.core.migration_ops import analyze


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_vocab"),
        ("customers", "0007_drop_covered_fk_indexes"),
        ("sales", "0009_covering_board_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=[
                    "owner",
                    "pipeline",
                    "team",
                    "stage",
                    "currency",
                    "expected_close_date",
                    "amount",
                    "probability",
                    "deleted_at",
                ],
                name="deal_owner_live_totals_idx",
            ),
        ),
        analyze("sales_deal"),
    ]
