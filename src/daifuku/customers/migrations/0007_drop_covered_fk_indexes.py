# Single-column foreign-key indexes covered by a composite index that leads with the same column.

import django.db.models.deletion
from django.db import migrations, models

from daifuku.core.migration_ops import drop_fk_index


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_company_team_owner_updated_indexes"),
    ]

    operations = [
        drop_fk_index(
            "customers",
            migrations.AlterField(
                model_name="contact",
                name="company",
                field=models.ForeignKey(
                    blank=True,
                    db_index=False,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="contacts",
                    to="customers.company",
                    verbose_name="会社",
                ),
            ),
        ),
        drop_fk_index(
            "customers",
            migrations.AlterField(
                model_name="contactaffiliation",
                name="contact",
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="affiliations",
                    to="customers.contact",
                ),
            ),
        ),
    ]
