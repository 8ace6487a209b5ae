"""In Chromium: upload a cp932 CSV, map a column, start, see the progress bar finish, get the error file."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from daifuku.customers.models import Company
from tests.factories import PASSWORD, UserFactory
from tests.imports.helpers import csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded")]


def test_cp932_upload_mapping_progress_and_error_file(page, live_server, team_a, tmp_path):
    # given
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
    page.click("button[value=start]")
    # then
    expect(page.locator("#job-status")).to_have_text("完了")
    expect(page.locator(".progress-bar")).to_have_text("100%")
    with page.expect_download() as download_info:
        page.click("#error-file")
    content = Path(download_info.value.path()).read_bytes().decode("cp932")
    assert content.splitlines()[1].startswith(",bad,3行目: ")
    assert Company.objects.get().name == "髙橋商事"
