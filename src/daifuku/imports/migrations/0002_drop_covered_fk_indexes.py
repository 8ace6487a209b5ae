# Single-column foreign-key indexes covered by a composite index that leads with the same column.

import django.db.models.deletion
from django.db import migrations, models

from daifuku.core.migration_ops import drop_fk_index


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_imports_exports_merges"),
    ]

    operations = [
        drop_fk_index(
            "imports",
            migrations.AlterField(
                model_name="importrecord",
                name="job",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="records",
                    to="imports.importjob",
                ),
            ),
        ),
        drop_fk_index(
            "imports",
            migrations.AlterField(
                model_name="importrowerror",
                name="job",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="row_errors",
                    to="imports.importjob",
                ),
            ),
        ),
    ]
