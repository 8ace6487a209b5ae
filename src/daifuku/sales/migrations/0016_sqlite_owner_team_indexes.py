"""SQLite: the (owner, team, id) indexes of live deals, leads, contracts and quotes that PostgreSQL
got in 0015 (see customers 0011)."""

from django.db import migrations

from daifuku.core.migration_ops import SQLiteOnly, analyze, owner_team_index


class Migration(migrations.Migration):
    dependencies = [("sales", "0015_owner_team_indexes")]

    operations = [
        owner_team_index("sales_deal", "deal_owner_team_live_idx", only=SQLiteOnly),
        owner_team_index("sales_lead", "lead_owner_team_live_idx", only=SQLiteOnly),
        owner_team_index("sales_contract", "contract_owner_team_live_idx", only=SQLiteOnly),
        owner_team_index("sales_quote", "quote_owner_team_live_idx", only=SQLiteOnly),
        analyze("sales_deal", "sales_lead", "sales_contract", "sales_quote"),
    ]
