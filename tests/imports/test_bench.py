"""``daifuku import-bench`` at a tiny size: its phases, counts and floor lines (timings not asserted)."""

import argparse
import re

import pytest
from django.db import connection

from daifuku.customers.models import Contact
from daifuku.imports import bench
from daifuku.imports.models import ImportJob, ImportRecord


@pytest.mark.django_db
def test_import_bench_reports_both_phases_the_database_time_and_the_floor(capsys):
    assert bench.cmd_bench(argparse.Namespace(rows=40)) == 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    existing = next(line for line in lines if line.startswith("existing: "))
    dedup = next(line for line in lines if line.startswith("dedup import: "))
    assert "40 rows (cp932, dedup create)" in existing
    assert "created 40, updated 0, skipped 0, errors 0" in existing
    # the second file's first half repeats the first file's second half (found by e-mail, unchanged)
    assert "40 rows (cp932, dedup fill)" in dedup
    assert "created 20, updated 0, skipped 20, errors 0" in dedup
    statements = [line for line in lines if line.startswith("  database statements: ")]
    assert len(statements) == 2
    assert all(re.search(r"[\d.]+ µs per row \([\d,]+ calls, \d+ % of the phase\)", s) for s in statements)
    if connection.vendor == "sqlite":  # PostgreSQL computes the grams in its index, inside the statements
        assert re.search(r"^  search index alone: 20 new contacts, grams [\d.]+ µs \+ FTS5 insert", out, re.M)
        floor = r"^  floor: database statements \+ grams = [\d.]+ µs per file row, at most [\d,]+ rows/s"
    else:
        assert "search index alone" not in out
        floor = r"^  floor: database statements \(the grams computed by the server's index\) = [\d.]+ µs"
    assert re.search(floor, out, re.M)
    assert [line.split(":")[0] for line in lines if line.startswith("export ")] == [
        "export csv",
        "export cp932",
        "export xlsx",
    ]
    assert Contact.objects.count() == 60
    assert ImportJob.objects.filter(status="done").count() == 2
    created = ImportRecord.objects.filter(action=ImportRecord.CREATED)
    assert created.filter(object_type="contact").count() == 60
    assert created.filter(object_type="company").count() == 60  # ㈱サンプル商事0 … 59
