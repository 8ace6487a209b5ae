"""In Chromium: upload a cp932 CSV, map a column, start, watch the progress bar fill, get the error file."""

import threading
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from daifuku.customers.models import Company
from daifuku.imports import services, tasks
from tests.factories import PASSWORD, UserFactory
from tests.imports.helpers import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


class PausedWorker:
    """Stands in for the Huey worker: runs the job in its own thread, one row per batch, starts when the
    test says so and stops after the first committed batch until the test lets it go on (so the page can
    be seen mid-way).

    The test database is SQLite's shared in-memory one, where a read that meets a write fails at once
    instead of waiting. So the worker writes only while the test thread waits for it, and the page's
    progress polls are fetched by the test thread itself (``page.route`` handlers run only inside
    Playwright calls): the two never overlap."""

    def __init__(self) -> None:
        self.begin = threading.Event()
        self.first_batch_done = threading.Event()
        self.go_on = threading.Event()
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def __call__(self, job_id: int) -> None:
        self.thread = threading.Thread(target=self._run, args=(job_id,))
        self.thread.start()

    def _progress(self, job) -> None:
        if job.processed_rows == 1:
            self.first_batch_done.set()
            assert self.go_on.wait(timeout=30)

    def _run(self, job_id: int) -> None:
        try:
            assert self.begin.wait(timeout=30)
            services.job_run(job_id=job_id, batch_size=1, progress=self._progress)
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.first_batch_done.set()
        finally:
            connection.close()

    def finish(self) -> None:
        self.go_on.set()
        assert self.thread is not None
        self.thread.join(timeout=30)
        assert self.error is None


def test_cp932_upload_mapping_progress_and_error_file(page, live_server, team_a, tmp_path, monkeypatch):
    # given
    worker = PausedWorker()
    monkeypatch.setattr(tasks, "run_import", worker)
    UserFactory(username="kato", role="administrator", team=team_a)
    path = tmp_path / "名刺.csv"
    path.write_bytes(
        csv_bytes([["取引先名称", "電話"], ["㈱髙橋商事", "03-1234-5678"], ["", "bad"]], "cp932")
    )
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "kato")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # when: upload, map the unguessed first column to 会社名, preview, start
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("text=アップロードして対応づけへ")
    expect(page.locator("h1")).to_contain_text("列の対応づけ")
    page.select_option("#id_col_0", "name")
    page.click("button[value=preview]")
    expect(page.locator("#preview-table")).to_contain_text("髙橋商事")
    page.route("**/progress/", lambda route: route.fulfill(response=route.fetch()))
    page.click("button[value=start]")
    expect(page.locator("#job-status")).to_have_text("待機中")
    worker.begin.set()
    # then: mid-way the polled bar shows the first of two rows
    assert worker.first_batch_done.wait(timeout=30)
    expect(page.locator(".progress-bar")).to_have_text("50%")
    expect(page.locator("#job-status")).to_have_text("実行中")
    expect(page.locator("#progress")).to_contain_text("1 / 2 行")
    # and when the worker goes on, the same page fills to the end without a reload
    worker.finish()
    expect(page.locator("#job-status")).to_have_text("完了")
    expect(page.locator(".progress-bar")).to_have_text("100%")
    with page.expect_download() as download_info:
        page.click("#error-file")
    content = Path(download_info.value.path()).read_bytes().decode("cp932")
    assert content.splitlines()[1].startswith(",bad,3行目: ")
    assert Company.objects.get().name == "髙橋商事"
