"""PostgreSQL: (owner, team, id) indexes of live deals, leads, contracts and quotes (see customers 0010)."""

from django.db import migrations

from daifuku.core.migration_ops import owner_team_index


class Migration(migrations.Migration):
    dependencies = [("sales", "0014_deal_totals_board_index")]

    operations = [
        owner_team_index("sales_deal", "deal_owner_team_live_idx"),
        owner_team_index("sales_lead", "lead_owner_team_live_idx"),
        owner_team_index("sales_contract", "contract_owner_team_live_idx"),
        owner_team_index("sales_quote", "quote_owner_team_live_idx"),
    ]
