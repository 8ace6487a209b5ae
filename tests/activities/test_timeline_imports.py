"""Bulk imports reach the timeline through their batch events, like records created one by one."""

import pytest

from daifuku.activities.models import TimelineEntry
from daifuku.customers.models import Company, Contact
from tests.imports.helpers import csv_bytes, run

pytestmark = pytest.mark.django_db


def test_imported_companies_and_contacts_get_their_timeline_rows(admin):
    # given
    companies = csv_bytes(
        [["会社名", "フリガナ"], ["株式会社青葉商事", "アオバショウジ"], ["緑物産", "ミドリブッサン"]]
    )
    run(admin, "companies", companies)
    aoba = Company.objects.get(name="青葉商事")
    contacts = csv_bytes([["姓", "名", "会社名"], ["青木", "一郎", "株式会社青葉商事"]])
    # when
    run(admin, "contacts", contacts)
    # then
    aoki = Contact.objects.get(family_name="青木")
    assert sorted(TimelineEntry.objects.filter(kind="company.created").values_list("title", flat=True)) == [
        "株式会社青葉商事",
        "緑物産",
    ]
    entry = TimelineEntry.objects.get(kind="contact.created")
    assert (entry.company_id, entry.contact_id, entry.title, entry.actor_id) == (
        aoba.pk,
        aoki.pk,
        "青木 一郎",
        admin.pk,
    )
