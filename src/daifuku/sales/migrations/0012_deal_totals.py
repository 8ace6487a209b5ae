# Deal totals kept by triggers on sales_deal (see daifuku.sales.models.totals). The SQL is written out
# here, not imported, so that this migration keeps doing what it did when the code moves on.

from typing import Any

from django.db import migrations, models

KEYS = "pipeline_id, stage_id, owner_id, team_id, currency_id, close_key, closed_key, high"
SUMS = "n, amount, cost, weighted, weighted_cost"


def _keys(row: str, vendor: str) -> str:
    """The group key of a deal row (NEW / OLD / a table alias) as SQL, in KEYS order."""

    def day_key(column: str) -> str:
        if vendor == "postgresql":
            month = f"CAST(date_trunc('month', {row}.{column}) AS date)"
            none = "DATE '0001-01-01'"
        else:
            month = f"date({row}.{column}, 'start of month')"
            none = "'0001-01-01'"
        return (
            f"CASE WHEN {row}.{column} IS NULL THEN {none} "
            f"WHEN {row}.currency_id = 'JPY' THEN {month} ELSE {row}.{column} END"
        )

    return (
        f"{row}.pipeline_id, {row}.stage_id, {row}.owner_id, COALESCE({row}.team_id, 0), {row}.currency_id, "
        f"{day_key('expected_close_date')}, {day_key('closed_on')}, {row}.probability >= 50"
    )


def _sums(row: str) -> str:
    return f"1, {row}.amount, {row}.cost, {row}.amount * {row}.probability, {row}.cost * {row}.probability"


def _matches(row: str, vendor: str) -> str:
    """``sales_dealtotal``'s key columns equal to a deal row's key (for UPDATE / DELETE … WHERE)."""
    return f"({KEYS}) = ({_keys(row, vendor)})"


def _add(row: str, vendor: str, where: str = "") -> str:
    table = "sales_dealtotal"
    prefix = f"{table}." if vendor == "postgresql" else ""
    select = f"SELECT {_keys(row, vendor)}, {_sums(row)} WHERE {where or 'true'}"
    return (
        f"INSERT INTO {table} ({KEYS}, {SUMS}) {select} "
        f"ON CONFLICT ({KEYS}) DO UPDATE SET n = {prefix}n + excluded.n, "
        f"amount = {prefix}amount + excluded.amount, cost = {prefix}cost + excluded.cost, "
        f"weighted = {prefix}weighted + excluded.weighted, "
        f"weighted_cost = {prefix}weighted_cost + excluded.weighted_cost"
    )


def _remove(row: str, vendor: str, where: str = "") -> list[str]:
    """Take a deal out of its group (no row: nothing to do — e.g. the table was emptied first)."""
    cond = f" AND {where}" if where else ""
    match = _matches(row, vendor)
    # Column names and SQL built here from constants, no user input.
    return [
        f"UPDATE sales_dealtotal SET n = n - 1, amount = amount - {row}.amount, cost = cost - {row}.cost, "  # noqa: S608
        f"weighted = weighted - {row}.amount * {row}.probability, "
        f"weighted_cost = weighted_cost - {row}.cost * {row}.probability WHERE {match}{cond}",
        f"DELETE FROM sales_dealtotal WHERE {match} AND n <= 0{cond}",  # noqa: S608
    ]


# What the totals read: an update that changes none of these leaves them alone (most updates: a note,
# the next action, the last activity time, the board order).
WATCHED = (
    "pipeline_id", "stage_id", "owner_id", "team_id", "currency_id", "expected_close_date", "closed_on",
    "probability", "amount", "cost",
)  # fmt: skip


def _changed() -> str:
    return " OR ".join(
        ["(OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)"]
        + [f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED]
    )


def sqlite_statements() -> list[str]:
    v = "sqlite"
    body_delete = "; ".join(_remove("OLD", v))
    body_update = "; ".join(
        [*_remove("OLD", v, "OLD.deleted_at IS NULL"), _add("NEW", v, "NEW.deleted_at IS NULL")]
    )
    return [
        "CREATE TRIGGER sales_dealtotal_insert AFTER INSERT ON sales_deal WHEN NEW.deleted_at IS NULL "
        f"BEGIN {_add('NEW', v)}; END",
        "CREATE TRIGGER sales_dealtotal_delete AFTER DELETE ON sales_deal WHEN OLD.deleted_at IS NULL "
        f"BEGIN {body_delete}; END",
        "CREATE TRIGGER sales_dealtotal_update AFTER UPDATE ON sales_deal "
        f"WHEN (OLD.deleted_at IS NULL OR NEW.deleted_at IS NULL) AND ({_changed()}) "
        f"BEGIN {body_update}; END",
    ]


def postgresql_statements() -> list[str]:
    v = "postgresql"
    remove = "; ".join(_remove("OLD", v))
    changed = _changed().replace(" IS NOT ", " IS DISTINCT FROM ")
    return [
        f"""CREATE FUNCTION sales_dealtotal_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A deal moving between two groups locks both rows; always the lower key first, so that two deals
    -- moving between the same groups in opposite directions cannot wait on each other (deadlock).
    IF TG_OP = 'UPDATE' THEN
        IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NULL
                AND ROW({_keys("NEW", v)}) < ROW({_keys("OLD", v)}) THEN
            {_add("NEW", v)};
            {remove};
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF OLD.deleted_at IS NULL THEN
            {remove};
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        IF NEW.deleted_at IS NULL THEN
            {_add("NEW", v)};
        END IF;
    END IF;
    RETURN NULL;
END $$""",
        "CREATE TRIGGER sales_dealtotal_insert_delete AFTER INSERT OR DELETE ON sales_deal "
        "FOR EACH ROW EXECUTE FUNCTION sales_dealtotal_apply()",
        "CREATE TRIGGER sales_dealtotal_update AFTER UPDATE ON sales_deal FOR EACH ROW "
        f"WHEN ((OLD.deleted_at IS NULL OR NEW.deleted_at IS NULL) AND ({changed})) "
        "EXECUTE FUNCTION sales_dealtotal_apply()",
    ]


def backfill_sql(vendor: str) -> str:
    return (
        f"INSERT INTO sales_dealtotal ({KEYS}, {SUMS}) "  # noqa: S608  (constants only)
        f"SELECT {_keys('d', vendor)}, COUNT(*), SUM(d.amount), SUM(d.cost), SUM(d.amount * d.probability), "
        f"SUM(d.cost * d.probability) FROM sales_deal d WHERE d.deleted_at IS NULL "
        f"GROUP BY {_keys('d', vendor)}"
    )


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = postgresql_statements() if vendor == "postgresql" else sqlite_statements()
    with schema_editor.connection.cursor() as cursor:
        for statement in [*statements, backfill_sql(vendor)]:
            cursor.execute(statement)


def drop(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS sales_dealtotal_insert_delete ON sales_deal")
            cursor.execute("DROP TRIGGER IF EXISTS sales_dealtotal_update ON sales_deal")
            cursor.execute("DROP FUNCTION IF EXISTS sales_dealtotal_apply()")
        else:
            for name in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS sales_dealtotal_{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0011_owner_list_covering"),
    ]

    operations = [
        migrations.CreateModel(
            name="DealTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pipeline_id", models.BigIntegerField()),
                ("stage_id", models.BigIntegerField()),
                ("owner_id", models.BigIntegerField()),
                ("team_id", models.BigIntegerField()),
                ("currency_id", models.CharField(max_length=3)),
                ("close_key", models.DateField()),
                ("closed_key", models.DateField()),
                ("high", models.BooleanField()),
                ("n", models.IntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=2, default=0, max_digits=22)),
                ("cost", models.DecimalField(decimal_places=2, default=0, max_digits=22)),
                ("weighted", models.DecimalField(decimal_places=2, default=0, max_digits=26)),
                ("weighted_cost", models.DecimalField(decimal_places=2, default=0, max_digits=26)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["team_id", "pipeline_id"], name="dealtotal_team_idx"),
                    models.Index(fields=["owner_id", "pipeline_id"], name="dealtotal_owner_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "pipeline_id",
                            "stage_id",
                            "owner_id",
                            "team_id",
                            "currency_id",
                            "close_key",
                            "closed_key",
                            "high",
                        ),
                        name="dealtotal_group",
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
