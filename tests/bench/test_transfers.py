"""The import and export workloads: real exports and a real import, and the database left as it was."""

import csv

import pytest
from bench.scales import Scale

from bench import generator, runner, transfers
from daifuku.activities.models import TimelineEntry
from daifuku.core.models import AuditEntry
from daifuku.customers.models import Contact
from daifuku.customers.selectors import company_list, contact_list
from daifuku.imports.models import ExportLog, ImportJob, ImportRecord

TINY = Scale("tiny", teams=2, reps_per_team=2, companies=30, contacts=90, deals=0, activities=0, tasks=0)


@pytest.mark.django_db
def test_import_file_holds_existing_people_and_new_ones_in_cp932(tmp_path):
    # given
    generator.generate(scale=TINY, seed=3)
    path = tmp_path / "file.csv"
    # when
    existing, new = transfers.import_file(path, 40)
    # then
    with path.open(encoding="cp932", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == transfers.IMPORT_HEADER
    assert (existing, new) == (20, 20)
    assert len(rows) == 41
    emails = set(Contact.objects.values_list("email", flat=True))
    assert sum(row[7] in emails for row in rows[1:]) == 20
    assert [row[1] for row in rows[21:]] == [f"取込{i:05d}" for i in range(20)]
    assert all(row[8] == transfers.IMPORT_MEMO for row in rows[1:])


@pytest.mark.django_db
def test_transfers_export_what_each_user_sees_import_with_dedup_and_leave_no_trace():
    # given
    generator.generate(scale=TINY, seed=3)
    users = runner.choose_users()
    models = (Contact, ExportLog, ImportJob, ImportRecord, AuditEntry, TimelineEntry)
    before = {model: model.objects.count() for model in models}
    notes_before = Contact.objects.exclude(notes="").count()
    # every live contact with a company goes into the file (there are fewer than 500), but 𠮷田, whom
    # cp932 cannot hold
    people = [
        c
        for c in Contact.objects.filter(company__isnull=False, deleted_at__isnull=True).select_related(
            "company"
        )
        if "𠮷" not in c.family_name + c.company.display_name
    ]
    with_notes = sum(1 for c in people if c.notes)
    # when
    found = transfers.run_transfers(users, "small", lambda _m: None)
    # then
    exports = [t for t in found if t["kind"] == "export"]
    rep_contacts = contact_list(user=users["rep"]).count()
    assert [(t["role"], t["rows"]) for t in exports] == [
        ("rep", rep_contacts),
        ("rep", rep_contacts),
        ("rep", rep_contacts),
        ("administrator", company_list(user=users["administrator"]).count()),
    ]
    assert all(t["megabytes"] > 0 and t["seconds"] > 0 for t in exports)
    (imported,) = [t for t in found if t["kind"] == "import"]
    assert imported["rows"] == 1000
    existing, new = len(people), 1000 - len(people)
    assert imported["name"] == f"contacts, cp932 CSV, dedup “fill” ({existing} existing + {new} new people)"
    assert imported["detail"] == (
        f"(created {new}, updated {existing - with_notes}, skipped {with_notes}, errors 0; cp932)"
    )
    assert {model: model.objects.count() for model in models} == before
    assert Contact.objects.exclude(notes="").count() == notes_before
