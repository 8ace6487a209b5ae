"""Activity, timeline, task and notification pages: quick log, lists, my day, completion, preferences."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from daifuku.activities import services
from daifuku.activities.models import Activity, Task
from daifuku.core.models import NotificationPreference
from tests.activities.factories import ActivityFactory, TaskFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_company_page_loads_timeline_and_open_items_over_htmx(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    html = client.get(reverse("customers:company_detail", args=[company_of_rep_a.pk])).content.decode()
    # then
    assert f'hx-get="/activities/timeline/company/{company_of_rep_a.pk}/"' in html
    assert f'hx-get="/activities/open-items/company/{company_of_rep_a.pk}/"' in html
    assert "data-quick-log-button" in html


def test_quick_log_inline_logs_and_tells_the_page_to_refresh(
    client, rep_a, company_of_rep_a, contact_of_rep_a
):
    # given
    client.force_login(rep_a)
    form = client.get(reverse("activities:activity_quick_log"), {"company": company_of_rep_a.pk}, **HTMX)
    assert "田中 一郎" in form.content.decode()
    # when
    response = client.post(
        reverse("activities:activity_quick_log"),
        {
            "kind": "visit",
            "subject": "新製品の紹介",
            "body": "来月デモ",
            "contacts": [str(contact_of_rep_a.pk)],
            "occurred_at": "2026-04-01T10:30",
            "company": company_of_rep_a.pk,
        },
        **HTMX,
    )
    # then
    assert response.status_code == 200
    assert response["HX-Trigger"] == "activity-logged"
    activity = Activity.objects.get()
    assert (activity.kind, activity.subject, activity.body, activity.company) == (
        "visit", "新製品の紹介", "来月デモ", company_of_rep_a,
    )  # fmt: skip
    assert timezone.localtime(activity.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-04-01 10:30"
    assert list(activity.contacts.all()) == [contact_of_rep_a]


def test_quick_log_page_without_htmx_redirects_back_to_the_company(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("activities:activity_quick_log"),
        {
            "kind": "call_out",
            "subject": "アポ取り",
            "occurred_at": "2026-04-01T10:30",
            "company": company_of_rep_a.pk,
        },
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == company_of_rep_a.get_absolute_url()
    assert Activity.objects.get().kind == "call_out"


def test_quick_log_without_subject_shows_the_error(client, rep_a, company_of_rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("activities:activity_quick_log"),
        {"kind": "visit", "subject": "", "occurred_at": "2026-04-01T10:30", "company": company_of_rep_a.pk},
        **HTMX,
    )
    # then
    assert response.status_code == 422
    assert "invalid-feedback" in response.content.decode()
    assert Activity.objects.count() == 0


def test_quick_log_on_an_invisible_company_is_404(client, rep_a, company_of_team_b):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("activities:activity_quick_log"),
        {"kind": "visit", "subject": "x", "occurred_at": "2026-04-01T10:30", "company": company_of_team_b.pk},
    )
    # then
    assert response.status_code == 404
    assert Activity.objects.count() == 0


def test_timeline_fragment_pages_on_reveal(client, rep_a, company_of_rep_a):
    # given
    base = timezone.now() - dt.timedelta(days=30)
    for n in range(25):
        services.activity_log(
            by=rep_a,
            data={"kind": "visit", "subject": f"訪問{n:02d}", "company": company_of_rep_a,
                  "occurred_at": base + dt.timedelta(days=n)},
        )  # fmt: skip
    client.force_login(rep_a)
    url = reverse("activities:company_timeline", args=[company_of_rep_a.pk])
    # when
    first = client.get(url, **HTMX).content.decode()
    more_url = first.split('data-timeline-more\n    hx-get="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(more_url, **HTMX).content.decode()
    # then
    assert first.count("data-timeline-entry") == 20
    assert first.index("訪問24") < first.index("訪問05")
    assert 'hx-trigger="revealed"' in first
    assert second.count("data-timeline-entry") == 5
    assert "訪問04" in second and "訪問00" in second
    assert "data-timeline-more" not in second


def test_open_items_list_complaints_until_closed(client, rep_a, company_of_rep_a):
    # given
    complaint = services.activity_log(
        by=rep_a, data={"kind": "complaint", "subject": "請求書の誤り", "company": company_of_rep_a}
    )
    services.activity_log(
        by=rep_a, data={"kind": "request", "subject": "納品時間の変更", "company": company_of_rep_a}
    )
    client.force_login(rep_a)
    url = reverse("activities:company_open_items", args=[company_of_rep_a.pk])
    # when
    before = client.get(url).content.decode()
    client.post(
        reverse("activities:activity_status", args=[complaint.pk]),
        {"status": "closed", "response": "訂正済み"},
    )
    after = client.get(url).content.decode()
    # then
    assert "請求書の誤り" in before and "納品時間の変更" in before
    assert "請求書の誤り" not in after and "納品時間の変更" in after


@pytest.mark.parametrize("rows", [3, 30])
def test_activity_list_query_count_does_not_grow(client, admin, rows, django_assert_max_num_queries):
    # given
    for n in range(rows):
        ActivityFactory(owner=admin, subject=f"活動{n}")
    client.force_login(admin)
    client.get(reverse("activities:activity_list"))
    # when
    with django_assert_max_num_queries(11) as captured:
        response = client.get(reverse("activities:activity_list"))
    # then
    assert response.content.decode().count("data-activity-id=") == rows
    assert len(captured) == 10


@pytest.mark.parametrize("rows", [2, 15])
def test_my_day_splits_tasks_with_a_constant_number_of_queries(
    client, rep_a, rows, django_assert_max_num_queries
):
    # given
    now = timezone.now()
    for n in range(rows):
        TaskFactory(owner=rep_a, title=f"期限切れ{n}", due_at=now - dt.timedelta(hours=n + 1))
        TaskFactory(owner=rep_a, title=f"来週{n}", due_at=now + dt.timedelta(days=3))
    TaskFactory(owner=rep_a, title="完了済み", due_at=now - dt.timedelta(hours=1), status="done")
    client.force_login(rep_a)
    client.get(reverse("activities:my_day"))
    # when
    with django_assert_max_num_queries(7) as captured:
        html = client.get(reverse("activities:my_day")).content.decode()
    # then
    overdue = html.split('data-section="overdue"')[1].split("</ul>")[0]
    assert overdue.count("data-task-id=") == rows
    assert "完了済み" not in html
    assert len(captured) == 6


def test_completing_a_task_from_my_day_logs_an_activity(client, rep_a, company_of_rep_a):
    # given
    task = TaskFactory(owner=rep_a, title="フォロー電話", company=company_of_rep_a)
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("activities:task_complete", args=[task.pk]),
        {"log_activity": "on", "activity_kind": "call_out", "outcome": "検討中とのこと"},
    )
    # then
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    assert (task.completion_activity.kind, task.completion_activity.outcome) == ("call_out", "検討中とのこと")


def test_a_colleague_cannot_complete_my_task(client, rep_a, rep_a2):
    # given
    task = TaskFactory(owner=rep_a)
    client.force_login(rep_a2)
    # when
    response = client.post(reverse("activities:task_complete", args=[task.pk]), {"activity_kind": "note"})
    # then
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == "open"


def test_task_form_creates_a_task_with_a_reminder(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("activities:task_create"),
        {"title": "見積作成", "due_at": "2026-04-03T15:00", "priority": "high", "owner": rep_a.pk,
         "remind_minutes_before": "60"},
    )  # fmt: skip
    # then
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.priority, task.remind_minutes_before) == ("見積作成", "high", 60)
    assert timezone.localtime(task.remind_at).strftime("%Y-%m-%d %H:%M") == "2026-04-03 14:00"


def test_notifications_page_saves_email_preferences(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    response = client.post(
        reverse("core:notifications"), {"email_kinds": ["task.reminder", "company.owner_changed"]}
    )
    page = client.get(reverse("core:notifications")).content.decode()
    # then
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=rep_a).email_kinds == [
        "company.owner_changed",
        "task.reminder",
    ]
    assert 'value="task.reminder" id="email-kind-2" checked' in page


def test_unknown_notification_kind_is_refused(client, rep_a):
    # given
    client.force_login(rep_a)
    # when
    client.post(reverse("core:notifications"), {"email_kinds": ["spam"]})
    # then
    assert not NotificationPreference.objects.filter(user=rep_a).exists()


def test_contact_page_loads_its_timeline_and_quick_log_ticks_the_contact(client, rep_a, contact_of_rep_a):
    # given
    services.activity_log(
        by=rep_a, data={"kind": "email", "subject": "資料送付", "contacts": [contact_of_rep_a.pk]}
    )
    client.force_login(rep_a)
    # when
    page = client.get(reverse("customers:contact_detail", args=[contact_of_rep_a.pk])).content.decode()
    fragment = client.get(reverse("activities:contact_timeline", args=[contact_of_rep_a.pk]), **HTMX)
    form = client.get(reverse("activities:activity_quick_log"), {"contact": contact_of_rep_a.pk}, **HTMX)
    # then
    assert f'hx-get="/activities/timeline/contact/{contact_of_rep_a.pk}/"' in page
    assert fragment.content.decode().count("data-timeline-entry") == 1
    assert (
        f'value="{contact_of_rep_a.pk}" class="form-check-input" id="id_contacts_0" checked'
        in form.content.decode()
    )
