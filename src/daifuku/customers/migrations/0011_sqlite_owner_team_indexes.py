"""SQLite: the (owner, team, id) indexes of live companies and contacts that PostgreSQL got in 0010.

SQLite read "my records filed under another team" by walking all of my records in list order, testing
the team inside an (owner, sort key, id, team) index: 0.83 ms on every page for the busiest rep's
13,075 companies at 1m (0 found), several ms for their 52,035 contacts. With this index the three
ranges of ``visibility._owner_outside_ids`` read only the records they return (2.5 µs).
"""

from django.db import migrations

from daifuku.core.migration_ops import SQLiteOnly, analyze, owner_team_index


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_owner_team_indexes")]

    operations = [
        owner_team_index("customers_company", "company_owner_team_live_idx", only=SQLiteOnly),
        owner_team_index("customers_contact", "contact_owner_team_live_idx", only=SQLiteOnly),
        analyze("customers_company", "customers_contact"),
    ]
