"""Pages for activities, the timeline, quick logging, tasks and "my day": parse, call, render.

A record outside the user's read scope answers 404 (``selectors.*_get``); one the user may read but
not change answers 403 on edit/delete. Timeline and open-item fragments are loaded by htmx from the
company and contact pages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.activities import selectors, services
from daifuku.activities.forms import (
    ActivityFilterForm,
    ActivityForm,
    ActivityStatusForm,
    QuickLogForm,
    TaskCompleteForm,
    TaskForm,
    TimelineFilterForm,
)
from daifuku.activities.models import Activity, Task
from daifuku.core import visibility
from daifuku.core.services import VersionConflict
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.models import Company, Contact

ACTIVITY = "activity"
TASK = "task"
TIMELINE_PAGE = 20
CONTACT_CHOICES_LIMIT = 30


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _safe_next(request: HttpRequest, value: str, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return default


def _company_contacts(user: Any, company: Company | None) -> list[Contact]:
    if company is None:
        return []
    return list(customer_selectors.company_contacts(user=user, company=company)[:CONTACT_CHOICES_LIMIT])


def _company_from_query(request: HttpRequest, value: Any) -> Company | None:
    if value in (None, ""):
        return None
    return customer_selectors.company_get(user=request.user, pk=value)


# Activities


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    filters = selectors.ActivityFilters()
    if form.is_valid():
        data = form.cleaned_data
        owner = data.get("owner")
        filters = selectors.ActivityFilters(
            kind=data.get("kind") or "",
            owner=owner.pk if owner else None,
            status=data.get("status") or "",
            open_only=bool(data.get("open_only")),
        )
    activities = selectors.activity_list(user=request.user, filters=filters)
    page = Paginator(activities, settings.DAIFUKU_PAGE_SIZE).get_page(request.GET.get("page"))
    template = "activities/_activity_table.html" if _is_htmx(request) else "activities/activity_list.html"
    return render(
        request,
        template,
        {"form": form, "page": page, "can_create": visibility.can_create(request.user, ACTIVITY)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_quick_log(request: HttpRequest) -> HttpResponse:
    """The compact form: from a company/contact page (htmx, inline) or on its own page on a phone."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    company = _company_from_query(request, source.get("company"))
    contact = None
    if source.get("contact"):
        contact = customer_selectors.contact_get(user=user, pk=source.get("contact"))
        if company is None and contact.company_id:
            company = customer_selectors.company_queryset(user=user).filter(pk=contact.company_id).first()
    contacts = _company_contacts(user, company)
    if contact is not None and contact not in contacts:
        contacts.insert(0, contact)
    default_next = company.get_absolute_url() if company else reverse("activities:activity_list")
    htmx = _is_htmx(request)
    template = "activities/_quick_log_form.html" if htmx else "activities/quick_log.html"
    initial: dict[str, Any] = {"company": company.pk if company else None, "next": source.get("next", "")}
    if contact is not None:
        initial["contacts"] = [str(contact.pk)]
    if request.method == "POST":
        form = QuickLogForm(request.POST, contacts=contacts, initial=initial)
        if form.is_valid():
            data = form.cleaned_data
            try:
                activity = services.activity_log(
                    by=user,
                    data={
                        "kind": data["kind"],
                        "subject": data["subject"],
                        "body": data["body"],
                        "occurred_at": data["occurred_at"],
                        "company": company.pk if company else None,
                        "contacts": data["contacts"],
                    },
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error(None, _("活動を記録する権限がありません。"))
            else:
                if htmx:
                    fresh = QuickLogForm(contacts=contacts, initial=initial)
                    response = render(
                        request,
                        template,
                        {
                            "form": fresh,
                            "company": company,
                            "contact": contact,
                            "logged": activity,
                            "inline": True,
                        },
                    )
                    response["HX-Trigger"] = "activity-logged"
                    return response
                messages.success(request, _("活動を記録しました。"))
                return redirect(_safe_next(request, data.get("next") or "", default_next))
        context = {"form": form, "company": company, "contact": contact, "inline": htmx}
        return render(request, template, context, status=422)
    form = QuickLogForm(contacts=contacts, initial=initial)
    return render(request, template, {"form": form, "company": company, "contact": contact, "inline": htmx})


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    company = _company_from_query(request, request.POST.get("company") or request.GET.get("company"))
    contacts = _company_contacts(user, company)
    label = company.display_name if company else ""
    if request.method == "POST":
        form = ActivityForm(request.POST, contacts=contacts, company_label=label)
        if form.is_valid():
            try:
                activity = services.activity_log(by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error(None, _("活動を記録する権限がありません。"))
            else:
                messages.success(request, _("活動を記録しました。"))
                return redirect("activities:activity_detail", activity.pk)
    else:
        form = ActivityForm(
            contacts=contacts, company_label=label, initial={"company": company and company.pk}
        )
    return render(request, "activities/activity_form.html", {"form": form, "activity": None})


@login_required
@require_GET
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get(user=request.user, pk=pk)
    can_edit = visibility.can_edit(request.user, activity, ACTIVITY)
    status_form = None
    if can_edit and activity.kind in services.ISSUE_KINDS:
        status_form = ActivityStatusForm(initial={"status": activity.status, "response": activity.response})
    return render(
        request,
        "activities/activity_detail.html",
        {"activity": activity, "can_edit": can_edit, "status_form": status_form},
    )


def _editable_activity(request: HttpRequest, pk: int) -> Activity:
    activity = selectors.activity_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, activity, ACTIVITY):
        raise PermissionDenied
    return activity


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = _editable_activity(request, pk)
    contacts = _company_contacts(user, activity.company)
    label = activity.company.display_name if activity.company else ""
    conflict = None
    if request.method == "POST":
        form = ActivityForm(request.POST, contacts=contacts, company_label=label)
        if form.is_valid():
            try:
                services.activity_update(
                    activity=activity,
                    by=user,
                    data=form.service_data(),
                    seen_version=form.cleaned_data["version"],
                )
            except VersionConflict as exc:
                conflict = exc
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("活動を更新しました。"))
                return redirect("activities:activity_detail", activity.pk)
    else:
        form = ActivityForm(
            contacts=contacts,
            company_label=label,
            initial={
                "kind": activity.kind,
                "occurred_at": activity.occurred_at,
                "duration_minutes": activity.duration_minutes,
                "company": activity.company_id,
                "contacts": [str(c.pk) for c in activity.contacts.all()],
                "participants": list(activity.participants.all()),
                "subject": activity.subject,
                "body": activity.body,
                "outcome": activity.outcome,
                "keywords": "、".join(t.name for t in activity.keywords.all()),
                "status": activity.status,
                "response": activity.response,
                "version": activity.version,
            },
        )
    return render(
        request, "activities/activity_form.html", {"form": form, "activity": activity, "conflict": conflict}
    )


@login_required
@require_POST
def activity_status(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk)
    form = ActivityStatusForm(request.POST)
    if form.is_valid():
        try:
            services.activity_set_status(
                activity=activity, by=request.user, status=form.cleaned_data["status"],
                response=form.cleaned_data["response"],
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        else:
            messages.success(request, _("対応状況を更新しました。"))
    return redirect("activities:activity_detail", activity.pk)


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _editable_activity(request, pk)
    services.activity_delete(activity=activity, by=request.user)
    messages.success(request, _("活動をごみ箱に移しました。"))
    return redirect(activity.company if activity.company else reverse("activities:activity_list"))


# Timeline and open items (htmx fragments of the company / contact pages)


def _timeline(
    request: HttpRequest, *, url: str, company: Company | None, contact: Contact | None
) -> HttpResponse:
    form = TimelineFilterForm(request.GET, kind_choices=selectors.timeline_kind_choices())
    filters = selectors.TimelineFilters()
    if form.is_valid():
        person = form.cleaned_data.get("person")
        filters = selectors.TimelineFilters(
            kind=form.cleaned_data.get("type") or "", person=person and person.pk
        )
    cursor = request.GET.get("cursor") or None
    try:
        entries, next_cursor = selectors.timeline_page(
            user=request.user, company=company, contact=contact, filters=filters, cursor=cursor,
            limit=TIMELINE_PAGE,
        )  # fmt: skip
    except ValueError:
        return HttpResponseBadRequest(_("カーソルが不正です。"))
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "form": form,
        "entries": entries,
        "url": url,
        "query": query.urlencode(),
        "next_cursor": next_cursor,
        "company": company,
        "contact": contact,
    }
    template = "activities/_timeline_rows.html" if cursor else "activities/_timeline.html"
    return render(request, template, context)


@login_required
@require_GET
def company_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, pk=pk)
    url = reverse("activities:company_timeline", args=[company.pk])
    return _timeline(request, url=url, company=company, contact=None)


@login_required
@require_GET
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    contact = customer_selectors.contact_get(user=request.user, pk=pk)
    url = reverse("activities:contact_timeline", args=[contact.pk])
    return _timeline(request, url=url, company=None, contact=contact)


@login_required
@require_GET
def company_open_items(request: HttpRequest, pk: int) -> HttpResponse:
    company = customer_selectors.company_get(user=request.user, pk=pk)
    items = list(selectors.open_items(user=request.user, company=company)[:50])
    return render(request, "activities/_open_items.html", {"items": items, "company": company})


# Tasks and my day


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    day = selectors.my_day(user=request.user)
    return render(
        request,
        "activities/my_day.html",
        {
            "day": day,
            "complete_form": TaskCompleteForm(),
            "can_create": visibility.can_create(request.user, TASK),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    company = _company_from_query(request, request.GET.get("company"))
    label = company.display_name if company else ""
    if request.method == "POST":
        form = TaskForm(request.POST, company_label=label)
        if form.is_valid():
            try:
                services.task_create(by=user, data=form.service_data())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error("owner", _("この担当者にはタスクを割り当てられません。"))
            else:
                messages.success(request, _("タスクを登録しました。"))
                return redirect("activities:my_day")
    else:
        form = TaskForm(company_label=label, initial={"owner": user, "company": company and company.pk})
    return render(request, "activities/task_form.html", {"form": form, "task": None})


def _editable_task(request: HttpRequest, pk: int) -> Task:
    task = selectors.task_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, task, TASK):
        raise PermissionDenied
    return task


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    task = selectors.task_get(user=user, pk=pk)
    can_edit = visibility.can_edit(user, task, TASK)
    label = task.company.display_name if task.company else ""
    conflict = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = TaskForm(request.POST, company_label=label)
        if form.is_valid():
            try:
                services.task_update(
                    task=task, by=user, data=form.service_data(), seen_version=form.cleaned_data["version"]
                )
            except VersionConflict as exc:
                conflict = exc
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error("owner", _("この担当者にはタスクを割り当てられません。"))
            else:
                messages.success(request, _("タスクを更新しました。"))
                return redirect("activities:my_day")
    else:
        form = TaskForm(
            company_label=label,
            initial={
                "title": task.title,
                "due_at": task.due_at,
                "priority": task.priority,
                "owner": task.owner,
                "company": task.company_id,
                "remind_minutes_before": task.remind_minutes_before,
                "description": task.description,
                "version": task.version,
            },
        )
    return render(
        request,
        "activities/task_form.html",
        {
            "form": form,
            "task": task,
            "can_edit": can_edit,
            "conflict": conflict,
            "complete_form": TaskCompleteForm(),
        },
    )


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _editable_task(request, pk)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        try:
            services.task_complete(
                task=task,
                by=request.user,
                log_activity=form.cleaned_data["log_activity"],
                outcome=form.cleaned_data["outcome"],
                activity_kind=form.cleaned_data["activity_kind"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        else:
            messages.success(request, _("タスクを完了にしました。"))
    return redirect(_safe_next(request, request.POST.get("next", ""), reverse("activities:my_day")))


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _editable_task(request, pk)
    services.task_delete(task=task, by=request.user)
    messages.success(request, _("タスクをごみ箱に移しました。"))
    return redirect("activities:my_day")
