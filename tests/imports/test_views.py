"""Import pages: upload → mapping/preview → start → progress → error file; list query counts; CLI."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from daifuku.cli import main
from daifuku.customers.models import Company
from daifuku.imports.models import ImportJob
from tests.imports.helpers import csv_bytes, run

pytestmark = pytest.mark.django_db


def test_upload_map_preview_and_start(client, admin, django_capture_on_commit_callbacks):
    # given
    client.force_login(admin)
    content = csv_bytes([["社名", "電話"], ["山田商事", "03-1234-5678"], ["", "bad"]], encoding="cp932")
    # when
    response = client.post("/imports/", {"target": "companies", "file": SimpleUploadedFile("a.csv", content)})
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/{job.pk}/mapping/"
    page = client.get(f"/imports/{job.pk}/mapping/")
    assert "山田商事" in page.content.decode()
    preview = client.post(
        f"/imports/{job.pk}/mapping/",
        {"col_0": "name", "col_1": "phone", "dedup": "skip", "action": "preview"},
        HTTP_HX_REQUEST="true",
    )
    assert "preview-table" in preview.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            f"/imports/{job.pk}/mapping/",
            {"col_0": "name", "col_1": "phone", "dedup": "skip", "action": "start", "save_as": "標準"},
        )
    # then
    assert started.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 1)
    progress = client.get(f"/imports/{job.pk}/progress/")
    assert progress["HX-Trigger"] == "import-finished"
    errors = b"".join(client.get(f"/imports/{job.pk}/errors/").streaming_content).decode("cp932")
    assert errors.splitlines()[1].startswith(",bad,3行目: ")


def test_other_users_job_is_not_found(client, admin, rep_a):
    job = run(admin, "companies", csv_bytes([["会社名"], ["A"]]))
    client.force_login(rep_a)
    assert client.get(f"/imports/{job.pk}/").status_code == 404


@pytest.mark.parametrize("jobs", [1, 8])
def test_job_list_query_count_does_not_grow(client, admin, django_assert_max_num_queries, jobs):
    for i in range(jobs):
        run(admin, "companies", csv_bytes([["会社名"], [f"会社{i}"]]))
    client.force_login(admin)
    with django_assert_max_num_queries(8):
        assert client.get("/imports/").status_code == 200


@pytest.mark.parametrize("rows", [1, 6])
def test_duplicates_page_query_count_does_not_grow(client, admin, django_assert_max_num_queries, rows):
    from tests.factories import CompanyFactory

    for _i in range(rows):
        CompanyFactory(name="山田商事", owner=admin)
    client.force_login(admin)
    with django_assert_max_num_queries(13):
        assert client.get("/imports/duplicates/company/").status_code == 200


def test_cli_import_with_progress_bar(tmp_path, admin, capsys):
    # given
    path = tmp_path / "companies.csv"
    path.write_bytes(csv_bytes([["会社名", "TEL"], ["山田商事", "03-1234-5678"], ["鈴木工業", "x"]], "cp932"))
    errors = tmp_path / "errors.csv"
    # when
    status = main(["import", "companies", str(path), "--dedup", "fill", "--errors", str(errors)])
    # then
    out = capsys.readouterr()
    assert status == 0
    assert "100% 2/2 rows" in out.err
    assert "Done: 1 created, 0 updated, 0 skipped, 1 errors" in out.out
    assert errors.read_bytes().decode("cp932").splitlines()[1].startswith("鈴木工業,x,3行目: ")
    assert Company.objects.get().name == "山田商事"
