"""Import tests keep uploaded files in a temporary MEDIA_ROOT."""

import pytest


@pytest.fixture(autouse=True)
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# The browser fixtures live with the web tests; reuse them here.
from tests.web.conftest import browser, page, seeded  # noqa: E402, F401
