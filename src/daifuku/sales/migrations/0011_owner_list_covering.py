# The owner half of a team-scoped deal list holds deleted_at as a column, so that SQLite reads it as a
# covering index instead of deal_owner_close_idx with a table read per deal.

from django.conf import settings
from django.db import migrations, models

from daifuku.core.migration_ops import analyze


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_search_vocab"),
        ("customers", "0007_drop_covered_fk_indexes"),
        ("sales", "0010_owner_board_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deal",
            name="deal_owner_live_close_idx",
        ),
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "expected_close_date", "id", "team", "deleted_at"],
                name="deal_owner_live_close_idx",
            ),
        ),
        analyze("sales_deal"),
    ]
