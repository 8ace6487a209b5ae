"""Pages for 取引先 (companies) and 担当者 (contacts): parse the request, call a selector or service, render.

A record outside the user's read scope answers 404 (``selectors.*_get``); one the user may read but
not change answers 403 on the edit, delete and handover pages. Writes go through ``services``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import jp, visibility
from daifuku.core.services import VersionConflict
from daifuku.customers import merge, panels, selectors, services
from daifuku.customers.forms import (
    AddressLookupForm,
    CompanyFilterForm,
    CompanyForm,
    ContactFilterForm,
    ContactForm,
    HandoverForm,
    StyledForm,
)
from daifuku.customers.models import Company, Contact
from daifuku.customers.rows import COMPANY_COLUMNS, CONTACT_COLUMNS, company_rows, contact_rows

COMPANY = "company"
CONTACT = "contact"
HISTORY_LIMIT = 200
DETAIL_CONTACTS_LIMIT = 50
TRASH_LIMIT = 200


# Lists count at most this many rows: an exact COUNT over a million rows costs more than the page itself.
LIST_COUNT_CAP = 10_000


def capped_count(queryset: models.QuerySet) -> tuple[int, bool]:
    """How many rows, up to ``LIST_COUNT_CAP``, and whether there are more ("10,000件以上").

    Counting stops after ``LIST_COUNT_CAP + 1`` matching rows, so it costs the same at a million rows as
    at ten thousand; a sparse filter still reads every candidate row, which is why list pages ask for it
    in a separate request (``*_count`` views) instead of waiting for it.
    """
    found = int(queryset.order_by()[: LIST_COUNT_CAP + 1].count())
    return min(found, LIST_COUNT_CAP), found > LIST_COUNT_CAP


class ListPage:
    """One page of a list, fetched without counting the list: one row more than the page tells "次へ".

    The page shows its rows as soon as they are read; the count ("N件", the last page number) comes
    from the list's count view, fired by the table on load. When this page is the last one the count
    is known for free (rows before it + rows on it) and is shown at once, with no second request.
    Pages stop at the count cap, as the capped count did (page 200 of 50 rows); rows past it are
    reached by filtering or by reversing the sort (the API pages through everything with cursors).
    """

    def __init__(
        self,
        queryset: models.QuerySet,
        per_page: int,
        number: Any,
        read: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        #: How the page's records are read from its ids (default: ``visibility.rows_in_order`` on the
        #: queryset); a list annotated with values computed per row can read plain rows and compute them.
        self.read = read
        self.per_page = per_page
        self.max_pages = max(1, math.ceil(LIST_COUNT_CAP / per_page))
        try:
            self.number = min(max(1, int(number)), self.max_pages)
        except (TypeError, ValueError):
            self.number = 1
        rows = self._fetch(queryset)
        if not rows and self.number > 1:
            # Past the end (an old link, rows deleted since): show the last page, as Paginator.get_page did.
            total, _capped = capped_count(queryset)
            self.number = min(max(1, math.ceil(total / per_page)), self.max_pages)
            rows = self._fetch(queryset)
        self.object_list = rows[:per_page]
        more = len(rows) > per_page
        self.has_next = more and self.number < self.max_pages
        self.has_previous = self.number > 1
        #: Known when nothing follows this page (or the cap is reached); otherwise None until counted.
        self.total: int | None = None
        self.capped = False
        if not self.has_next:
            seen = (self.number - 1) * per_page + len(self.object_list)
            self.total = min(seen, LIST_COUNT_CAP)
            self.capped = more or seen > LIST_COUNT_CAP

    def _fetch(self, queryset: models.QuerySet) -> list[Any]:
        """The page's rows in two steps: the ids in list order, then those rows with their relations.

        Sorting only (sort key, id) and joining the related tables for the page's 51 rows instead of
        for every candidate row: SQLite joins before it sorts, so a team's contact list (team OR owner,
        no single index gives the order) sorted 8,000 wide joined rows for page 162 — 128 ms, against
        12 ms for the ids and 5 ms for the rows (docs/performance.md).
        """
        offset = (self.number - 1) * self.per_page
        ids = visibility.page_ids(queryset, offset, self.per_page + 1)
        if ids is None:
            ids = list(queryset.values_list("pk", flat=True)[offset : offset + self.per_page + 1])
        return self.read(ids) if self.read is not None else visibility.rows_in_order(queryset, ids)

    @property
    def known(self) -> bool:
        return self.total is not None

    @property
    def num_pages(self) -> int | None:
        return None if self.total is None else max(1, math.ceil(self.total / self.per_page))

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def _list_response(
    request: HttpRequest, page_template: str, table_template: str, context: dict
) -> HttpResponse:
    htmx = _is_htmx(request)
    response = render(request, table_template if htmx else page_template, {**context, "is_htmx": htmx})
    patch_vary_headers(response, ["HX-Request"])
    if htmx:
        # Push a tidy address: no empty filters and no typeahead labels.
        params = [(k, v) for k, v in request.GET.items() if v and not k.endswith("_label")]
        response["HX-Push-Url"] = f"{request.path}?{urlencode(params)}" if params else request.path
    return response


def _with_page(request: HttpRequest, number: int) -> str:
    """The request's query string with another page number, as ``{% querystring page=n %}`` writes it."""
    query = request.GET.copy()
    query["page"] = str(number)
    return f"?{query.urlencode()}"


def count_response(
    request: HttpRequest, queryset: models.QuerySet, list_url: str, prefix: str
) -> HttpResponse:
    """The "N件" line a list page asks for after its table: htmx gets the partial, a browser a small page.

    Under htmx the answer also fills the pager's page total and its "»" link (out-of-band swaps), which
    the table could not show before the count was known.
    """
    total, capped = capped_count(queryset)
    per_page = settings.DAIFUKU_PAGE_SIZE
    num_pages = min(max(1, math.ceil(total / per_page)), max(1, math.ceil(LIST_COUNT_CAP / per_page)))
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    params = [(k, v) for k, v in request.GET.items() if v and k != "page" and not k.endswith("_label")]
    context = {
        "total": total,
        "capped": capped,
        "num_pages": num_pages,
        "number": number,
        "show_last": number < num_pages,
        "last_query": _with_page(request, num_pages),
        "prefix": prefix,
        "target": f"#{prefix}-table",
        "list_url": f"{list_url}?{urlencode(params)}" if params else list_url,
    }
    if _is_htmx(request):
        # A fragment: no context processors (they would add the menu's unread count and role queries).
        response = HttpResponse(render_to_string("customers/_count.html", context))
    else:
        response = render(request, "customers/list_count.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# 履歴: audit entries shown with labels and names


_REFERENCE_KINDS = {
    "owner": "users",
    "deleted_by": "users",
    "team": "teams",
    "tags": "tags",
    "industry": "industries",
    "parent": "companies",
    "company": "companies",
}
_PHONE_FIELDS = {"phone", "fax", "mobile_phone", "office_phone"}
_DATETIME_FIELDS = {"deleted_at", "mail_consent_at"}


def _reference_names(user: Any, changes: list[dict[str, list[Any]]]) -> selectors.ReferenceNames:
    ids: dict[str, set[int]] = defaultdict(set)
    for change in changes:
        for name, pair in change.items():
            kind = _REFERENCE_KINDS.get(name)
            if kind is None:
                continue
            for value in pair:
                if isinstance(value, list):
                    ids[kind].update(value)
                elif value is not None:
                    ids[kind].add(value)
    return selectors.reference_names(
        user=user,
        user_ids=ids["users"],
        team_ids=ids["teams"],
        tag_ids=ids["tags"],
        industry_ids=ids["industries"],
        company_ids=ids["companies"],
    )


def _field_label(model: type[models.Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _format_value(model: type[models.Model], name: str, value: Any, names: selectors.ReferenceNames) -> str:
    if value in (None, "", [], {}):
        return "—"
    kind = _REFERENCE_KINDS.get(name)
    if kind is not None:
        table: dict[int, str] = getattr(names, kind)
        values = value if isinstance(value, list) else [value]
        return ", ".join(table.get(v, f"#{v}") for v in values)
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if name in _PHONE_FIELDS:
        return jp.phone_display(str(value))
    if name == "postal_code":
        return jp.postal_display(str(value))
    if name in _DATETIME_FIELDS:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return (
            timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(moment) else str(value)
        )
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    choices = dict(getattr(field, "flatchoices", None) or [])
    return str(choices.get(value, value))


def _change_rows(
    model: type[models.Model], changes: dict[str, list[Any]], names: selectors.ReferenceNames
) -> list[tuple[str, str, str]]:
    rows = []
    for name, (old, new) in changes.items():
        if old in (None, "", [], {}) and new in (None, "", [], {}):
            continue
        rows.append((_field_label(model, name), _format_value(model, name, old, names),
                     _format_value(model, name, new, names)))  # fmt: skip
    return rows


def _history(user: Any, model: type[models.Model], entries: Any) -> list[dict[str, Any]]:
    """Audit entries with field labels and owner/team/tag names: a fixed number of queries."""
    entries = list(entries[:HISTORY_LIMIT])
    names = _reference_names(user, [e.changes for e in entries])
    return [{"entry": e, "changes": _change_rows(model, e.changes, names)} for e in entries]


def _conflict(user: Any, model: type[models.Model], exc: VersionConflict, form: StyledForm) -> list[tuple]:
    """What changed since the version the user saw; the form keeps the input and takes the new version."""
    changes = exc.changed_fields
    form.data = form.data.copy()
    form.data["version"] = str(exc.current_version)
    return _change_rows(model, changes, _reference_names(user, [changes]))


ACTION_LABELS = {
    "create": gettext_lazy("登録"),
    "update": gettext_lazy("更新"),
    "delete": gettext_lazy("ごみ箱へ移動"),
    "restore": gettext_lazy("復元"),
    "handover": gettext_lazy("担当者変更"),
}


def _resolve_company(
    user: Any, form: StyledForm, data: dict[str, Any], name: str, current_id: int | None
) -> bool:
    """Turn a company id from a chooser into a company the user can see (an unchanged link may stay)."""
    pk = data.get(name)
    if pk is None or pk == current_id:
        return True
    try:
        data[name] = selectors.company_get(user=user, pk=pk)
    except Http404:
        form.add_error(name, _("会社が見つかりません。"))
        return False
    return True


def _assign_denied(form: StyledForm) -> None:
    form.add_error("owner", _("この担当者・チームには割り当てられません（権限の範囲外です）。"))


# Companies


@login_required
@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    form = CompanyFilterForm(request.GET)
    sort = form.sort_key()
    companies = selectors.company_list(user=request.user, filters=form.filters(), sort=sort)
    page = ListPage(
        companies,
        settings.DAIFUKU_PAGE_SIZE,
        request.GET.get("page"),
        read=lambda ids: visibility.values_in_order(companies, ids, COMPANY_COLUMNS),
    )
    return _list_response(
        request,
        "customers/company_list.html",
        "customers/_company_table.html",
        {
            "form": form,
            "page": page,
            "rows": company_rows(page.object_list),
            "sort": sort,
            "can_create": visibility.can_create(request.user, COMPANY),
        },
    )


@login_required
@require_GET
def company_count(request: HttpRequest) -> HttpResponse:
    """The company list's count, asked for after the table so a sparse filter never delays the rows."""
    form = CompanyFilterForm(request.GET)
    companies = selectors.company_list(user=request.user, filters=form.filters())
    return count_response(request, companies, reverse("customers:company_list"), "company")


@login_required
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = merge.get_resolved(COMPANY, user=user, pk=pk)
    if company.pk != pk:  # a merged (名寄せ) company's old URL leads to the survivor
        return redirect(company)
    can_edit = visibility.can_edit(user, company, COMPANY)
    contacts = list(selectors.company_contacts(user=user, company=company)[: DETAIL_CONTACTS_LIMIT + 1])
    parent = company.parent
    context = {
        "company": company,
        "can_edit": can_edit,
        "can_create_contact": visibility.can_create(user, CONTACT),
        "contacts": contacts[:DETAIL_CONTACTS_LIMIT],
        "more_contacts": len(contacts) > DETAIL_CONTACTS_LIMIT,
        "children": selectors.company_children(user=user, company=company)[:DETAIL_CONTACTS_LIMIT],
        "parent_visible": parent is not None and visibility.can_read(user, parent, COMPANY),
        "fiscal_month_name": MONTHS.get(company.fiscal_month),
        "handovers": selectors.company_handovers(company=company),
        "history": _history(user, Company, selectors.company_history(company=company)),
        "action_labels": ACTION_LABELS,
        "panel_urls": panels.urls_for(company.pk),
    }
    return render(request, "customers/company_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not visibility.can_create(user, COMPANY):
        raise PermissionDenied
    if request.method == "POST":
        form = CompanyForm(request.POST)
        if form.is_valid():
            data = form.service_data()
            if _resolve_company(user, form, data, "parent", None):
                try:
                    company = services.company_create(by=user, data=data)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                except PermissionDenied:
                    _assign_denied(form)
                else:
                    messages.success(request, _("取引先「%(name)s」を登録しました。") % {"name": company})
                    return redirect(company)
    else:
        form = CompanyForm(initial={"owner": user.pk, "team": user.team_id})
    return render(request, "customers/company_form.html", {"form": form, "company": None})


def _editable_company(request: HttpRequest, pk: int) -> Company:
    company = selectors.company_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, company, COMPANY):
        raise PermissionDenied
    return company


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    company = _editable_company(request, pk)
    conflict = None
    if request.method == "POST":
        form = CompanyForm(request.POST, instance=company)
        if form.is_valid():
            data = form.service_data()
            if _resolve_company(user, form, data, "parent", company.parent_id):
                try:
                    services.company_update(
                        company=company, by=user, data=data, seen_version=form.cleaned_data["version"]
                    )
                except VersionConflict as exc:
                    conflict = _conflict(user, Company, exc, form)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                except PermissionDenied:
                    _assign_denied(form)
                else:
                    messages.success(request, _("取引先を更新しました。"))
                    return redirect(company)
    else:
        parent_label = company.parent.display_name if company.parent else ""
        form = CompanyForm(instance=company, parent_label=parent_label)
    return render(
        request, "customers/company_form.html", {"form": form, "company": company, "conflict": conflict}
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    if request.method == "POST":
        services.company_delete(company=company, by=request.user)
        messages.success(request, _("取引先「%(name)s」をごみ箱に移動しました。") % {"name": company})
        return redirect("customers:company_list")
    return render(
        request,
        "customers/confirm_delete.html",
        {"object": company, "kind": pgettext("削除の対象", "取引先")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def company_handover(request: HttpRequest, pk: int) -> HttpResponse:
    company = _editable_company(request, pk)
    if request.method == "POST":
        form = HandoverForm(request.POST, company=company)
        if form.is_valid():
            try:
                services.company_change_owner(
                    company=company, new_owner=form.cleaned_data["owner"], by=request.user,
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                new_owner = form.cleaned_data["owner"]
                messages.success(
                    request, _("担当者を %(owner)s さんに変更しました。") % {"owner": new_owner.display_name}
                )
                return redirect(company)
    else:
        form = HandoverForm(company=company)
    return render(request, "customers/company_handover.html", {"form": form, "company": company})


@login_required
@require_POST
def company_restore(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    company = selectors.company_get(user=request.user, pk=pk, include_deleted=True)
    services.company_restore(company=company, by=request.user)
    messages.success(request, _("取引先「%(name)s」を復元しました。") % {"name": company})
    return redirect("customers:trash")


@login_required
@require_GET
def company_duplicates(request: HttpRequest) -> HttpResponse:
    get = request.GET
    exclude = get.get("exclude", "")
    duplicates = selectors.company_duplicates(
        user=request.user,
        name=get.get("name", ""),
        corporate_number=get.get("corporate_number", ""),
        phone=get.get("phone", ""),
        email=get.get("email", ""),
        exclude_pk=int(exclude) if exclude.isdigit() else None,
    )
    return render(request, "customers/_company_duplicates.html", {"duplicates": duplicates})


@login_required
@require_GET
def company_choices(request: HttpRequest) -> HttpResponse:
    get = request.GET
    q = get.get("q") or get.get("company_label") or get.get("parent_label") or ""
    companies = selectors.company_choices(user=request.user, q=q)
    return render(request, "customers/_company_choices.html", {"companies": companies, "q": q})


# Contacts


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    company_label = ""
    company_id = request.GET.get("company", "")
    if company_id.isdigit():
        try:
            company_label = selectors.company_get(user=request.user, pk=company_id).display_name
        except Http404:
            company_label = ""
    form = ContactFilterForm(request.GET, company_label=company_label)
    sort = form.sort_key()
    contacts = selectors.contact_list(user=request.user, filters=form.filters(), sort=sort)
    page = ListPage(
        contacts,
        settings.DAIFUKU_PAGE_SIZE,
        request.GET.get("page"),
        read=lambda ids: visibility.values_in_order(contacts, ids, CONTACT_COLUMNS),
    )
    return _list_response(
        request,
        "customers/contact_list.html",
        "customers/_contact_table.html",
        {
            "form": form,
            "page": page,
            "rows": contact_rows(page.object_list),
            "sort": sort,
            "can_create": visibility.can_create(request.user, CONTACT),
        },
    )


@login_required
@require_GET
def contact_count(request: HttpRequest) -> HttpResponse:
    """The contact list's count, asked for after the table so a sparse filter never delays the rows."""
    form = ContactFilterForm(request.GET)
    contacts = selectors.contact_list(user=request.user, filters=form.filters())
    return count_response(request, contacts, reverse("customers:contact_list"), "contact")


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = merge.get_resolved(CONTACT, user=user, pk=pk)
    if contact.pk != pk:
        return redirect(contact)
    company = contact.company
    context = {
        "contact": contact,
        "can_edit": visibility.can_edit(user, contact, CONTACT),
        "company_visible": company is not None and visibility.can_read(user, company, COMPANY),
        "affiliations": selectors.contact_affiliations(contact=contact),
        "history": _history(user, Contact, selectors.contact_history(contact=contact)),
        "action_labels": ACTION_LABELS,
    }
    return render(request, "customers/contact_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not visibility.can_create(user, CONTACT):
        raise PermissionDenied
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            data = form.service_data()
            if _resolve_company(user, form, data, "company", None):
                try:
                    contact = services.contact_create(by=user, data=data)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                except PermissionDenied:
                    _assign_denied(form)
                else:
                    messages.success(request, _("担当者「%(name)s」を登録しました。") % {"name": contact})
                    return redirect(contact)
    else:
        initial: dict[str, Any] = {"owner": user.pk, "team": user.team_id}
        company_label = ""
        company_id = request.GET.get("company", "")
        if company_id.isdigit():
            try:
                company = selectors.company_get(user=user, pk=company_id)
            except Http404:
                company = None
            if company is not None:
                initial["company"] = company.pk
                company_label = company.display_name
        form = ContactForm(initial=initial, company_label=company_label)
    return render(request, "customers/contact_form.html", {"form": form, "contact": None})


def _editable_contact(request: HttpRequest, pk: int) -> Contact:
    contact = selectors.contact_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, contact, CONTACT):
        raise PermissionDenied
    return contact


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    contact = _editable_contact(request, pk)
    conflict = None
    if request.method == "POST":
        form = ContactForm(request.POST, instance=contact)
        if form.is_valid():
            data = form.service_data()
            if _resolve_company(user, form, data, "company", contact.company_id):
                try:
                    services.contact_update(
                        contact=contact, by=user, data=data, seen_version=form.cleaned_data["version"]
                    )
                except VersionConflict as exc:
                    conflict = _conflict(user, Contact, exc, form)
                except ValidationError as exc:
                    form.add_service_errors(exc.message_dict)
                except PermissionDenied:
                    _assign_denied(form)
                else:
                    messages.success(request, _("担当者を更新しました。"))
                    return redirect(contact)
    else:
        company_label = contact.company.display_name if contact.company else ""
        form = ContactForm(instance=contact, company_label=company_label)
    return render(
        request, "customers/contact_form.html", {"form": form, "contact": contact, "conflict": conflict}
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _editable_contact(request, pk)
    if request.method == "POST":
        services.contact_delete(contact=contact, by=request.user)
        messages.success(request, _("担当者「%(name)s」をごみ箱に移動しました。") % {"name": contact})
        return redirect("customers:contact_list")
    return render(
        request,
        "customers/confirm_delete.html",
        {"object": contact, "kind": pgettext("削除の対象", "担当者")},
    )


@login_required
@require_POST
def contact_restore(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    contact = selectors.contact_get(user=request.user, pk=pk, include_deleted=True)
    services.contact_restore(contact=contact, by=request.user)
    messages.success(request, _("担当者「%(name)s」を復元しました。") % {"name": contact})
    return redirect("customers:trash")


@login_required
@require_GET
def contact_duplicates(request: HttpRequest) -> HttpResponse:
    get = request.GET
    exclude, company = get.get("exclude", ""), get.get("company", "")
    duplicates = selectors.contact_duplicates(
        user=request.user,
        family_name=get.get("family_name", ""),
        given_name=get.get("given_name", ""),
        email=get.get("email", ""),
        phone=get.get("mobile_phone", "") or get.get("office_phone", ""),
        company_id=int(company) if company.isdigit() else None,
        exclude_pk=int(exclude) if exclude.isdigit() else None,
    )
    return render(request, "customers/_contact_duplicates.html", {"duplicates": duplicates})


# Trash and postal codes


@login_required
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    companies = selectors.company_trash(user=request.user)
    contacts = selectors.contact_trash(user=request.user)
    context = {
        "companies": companies[:TRASH_LIMIT],
        "contacts": contacts[:TRASH_LIMIT],
        "company_count": companies.count(),
        "contact_count": contacts.count(),
        "limit": TRASH_LIMIT,
    }
    return render(request, "customers/trash.html", context)


@login_required
@require_GET
def postal_lookup(request: HttpRequest) -> HttpResponse:
    """The address inputs filled from a postal code (``code`` or ``postal_code``), or a message."""
    get = request.GET
    raw = get.get("code") or get.get("postal_code") or ""
    current = {name: get.get(name, "") for name in ("prefecture", "city", "street")}
    digits = jp.clean_digits(raw).replace("〒", "")
    message = ""
    found = jp.postal_lookup(digits) if len(digits) == 7 else None
    if found is not None:
        current = {"prefecture": found.prefecture, "city": found.city, "street": found.street}
    elif len(digits) == 7 and digits.isdigit():
        message = _("この郵便番号は見つかりません。住所を入力してください。")
    elif len(digits) > 7 or (digits and not digits.isdigit()):
        message = _("郵便番号は7桁の数字です（例: 100-0001）。")
    form = AddressLookupForm(initial=current)
    return render(request, "customers/_address_fields.html", {"form": form, "postal_message": message})
