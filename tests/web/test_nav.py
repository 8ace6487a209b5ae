"""The menu's entries (daifuku.web.nav): built once per view and kind of user, rebuilt on registration."""

import pytest
from django.urls import reverse

from daifuku.web import nav

pytestmark = pytest.mark.django_db


def test_entries_mark_the_active_view_and_are_shared_per_view(rep_a, rep_b, admin):
    # given
    first = nav.items_for(rep_a, "sales:deal_list")
    # when
    again = nav.items_for(rep_b, "sales:deal_list")
    other_view = nav.items_for(rep_a, "customers:company_list")
    for_admin = nav.items_for(admin, "sales:deal_list")
    # then
    assert again is first
    sales = next(entry for entry in first if entry.get("children") and entry["active"])
    active = [child for child in sales["children"] if child["active"]]
    assert [child["url"] for child in active] == [reverse("sales:deal_board")]  # active prefix "sales:deal_"
    assert not any(entry["active"] for entry in other_view)
    assert for_admin is not first
    assert nav.settings_items_for(rep_a, "sales:deal_list") == []


def test_registering_an_entry_rebuilds_the_menus(rep_a, monkeypatch):
    # given
    monkeypatch.setattr(nav, "_items", list(nav._items))
    monkeypatch.setattr(nav, "_built", {})
    before = nav.items_for(rep_a, "web:home")
    # when
    nav.register(nav.NavItem("テスト", "web:search", "web:search", order=999))
    after = nav.items_for(rep_a, "web:home")
    # then
    assert [str(entry["label"]) for entry in after] == [str(entry["label"]) for entry in before] + ["テスト"]
    assert after[-1]["url"] == reverse("web:search")


def test_entries_follow_the_script_prefix(rep_a, monkeypatch):
    # given
    from django.urls import set_script_prefix

    monkeypatch.setattr(nav, "_built", {})
    plain = nav.items_for(rep_a, "web:home")
    # when
    set_script_prefix("/crm/")
    try:
        prefixed = nav.items_for(rep_a, "web:home")
    finally:
        set_script_prefix("/")
    # then
    assert all(str(entry.get("url", "/crm/")).startswith("/crm/") for entry in prefixed)
    assert all(not str(entry.get("url", "/")).startswith("/crm/") for entry in plain)
