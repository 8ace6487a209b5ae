# The board totals' indexes hold deleted_at too, so that SQLite reads them alone (covering).

from django.conf import settings
from django.db import migrations, models

from daifuku.core.migration_ops import analyze


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_vocab"),
        ("customers", "0007_drop_covered_fk_indexes"),
        ("sales", "0008_drop_covered_fk_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_board_totals_idx",
        ),
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_team_board_totals_idx",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=[
                    "pipeline",
                    "stage",
                    "currency",
                    "expected_close_date",
                    "amount",
                    "probability",
                    "deleted_at",
                ],
                name="deal_live_totals_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=[
                    "team",
                    "pipeline",
                    "stage",
                    "currency",
                    "expected_close_date",
                    "amount",
                    "probability",
                    "deleted_at",
                ],
                name="deal_team_live_totals_idx",
            ),
        ),
        analyze("sales_deal"),
    ]
