"""Pages of the sales module: deals (board, list, detail, form, won/lost, trash) and pipeline settings.

Thin: parse the request, call a selector or service, render. A deal outside the user's read scope
answers 404; one the user may read but not change answers 403 on the edit and action pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import visibility
from daifuku.core.services import VersionConflict
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.views import ListPage, count_response
from daifuku.sales.forms.deals import (
    BoardFilterForm,
    DealFilterForm,
    DealForm,
    DealLineFormSet,
    LostForm,
    PipelineForm,
    StageForm,
    pipeline_initial,
)
from daifuku.sales.models import Deal, Pipeline, Stage
from daifuku.sales.rows import deal_rows
from daifuku.sales.selectors import deals as selectors
from daifuku.sales.services import deals as services
from daifuku.sales.views.activity_log import log_kind_choices, log_related_activity
from daifuku.web.html import escape, url_around_id

DEAL = "deal"
DETAIL_HISTORY_LIMIT = 100
# Partials other areas contribute to the deal page (rendered only once they exist).
DEAL_EXTRA_PARTIALS = ["sales/competitors/_deal_competitors.html", "sales/quotes/_deal_quotes.html"]


def deal_url(deal: Deal) -> str:
    return reverse("sales:deal_detail", args=[deal.pk])


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


def _editable(request: HttpRequest, pk: int) -> Deal:
    deal = selectors.deal_get(user=request.user, pk=pk)
    if not visibility.can_edit(request.user, deal, DEAL):
        raise PermissionDenied
    return deal


# Board


def _board_pipeline(form: BoardFilterForm) -> Pipeline:
    form.is_valid()
    pk = getattr(form, "cleaned_data", {}).get("pipeline")
    if pk:
        return selectors.pipeline_get(pk=pk)
    pipeline = selectors.pipeline_default()
    if pipeline is None:
        raise Http404
    return pipeline


@login_required
@require_GET
def deal_board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET)
    pipeline = _board_pipeline(form)
    filters = form.filters()
    board = selectors.deal_board(user=request.user, pipeline=pipeline, filters=filters)
    # Cards link by id: the URL prefixes are reversed once, not twice per card (≈ 30 % of the board's time).
    detail_url, move_url = url_around_id("sales:deal_detail"), url_around_id("sales:deal_move")
    context = {
        "form": form,
        "board": board,
        "columns": [(c, _cards_html(c.deals, detail_url, move_url)) for c in board.columns],
        "pipeline": pipeline,
        "lost_form": LostForm(),
        "can_create": visibility.can_create(request.user, DEAL),
        "query": request.GET.urlencode(),
    }
    return render(request, "sales/deals/board.html", context)


def _cards_html(
    deals: list[selectors.BoardCard], detail_url: tuple[str, str], move_url: tuple[str, str]
) -> SafeString:
    """A column's cards as HTML, written here rather than in the template (the template's markup).

    Up to 50 cards × 7 columns, ~15 values each: the template engine's per-variable lookups were half
    of the board's time. Text is escaped; ids, versions and ISO dates are digits.
    """
    no_close = f'<span class="text-muted">{escape(_("受注予定日なし"))}</span>'
    stale = f'<span class="badge text-bg-warning" data-stale>{escape(_("放置"))}</span>'
    out: list[str] = []
    for deal in deals:
        is_stale = deal.is_stale
        company = escape(deal.company_name)
        owner = escape(deal.owner_name)
        close = deal.expected_close_date.isoformat() if deal.expected_close_date else no_close
        out.append(
            f'<li class="deal-card card card-body p-2 mb-2{" deal-card-stale" if is_stale else ""}" '
            f'data-deal-id="{deal.pk}" data-version="{deal.version}" '
            f'data-move-url="{move_url[0]}{deal.pk}{move_url[1]}">'
            f'<a class="fw-semibold text-decoration-none" href="{detail_url[0]}{deal.pk}{detail_url[1]}">'
            f"{escape(deal.name)}</a>"
            f'<div class="small text-muted">{company}</div>'
            '<div class="d-flex flex-wrap justify-content-between column-gap-2 small">'
            f'<span class="fw-semibold">{escape(deal.amount_display)}</span>'
            f'<span class="text-nowrap">{owner}</span></div>'
            f'<div class="d-flex justify-content-between small"><span>{close}</span>'
            f"{stale if is_stale else ''}</div>"
            "</li>"
        )
    return mark_safe("".join(out))  # noqa: S308  (names are escaped; the rest are ids, digits and our URLs)


def _totals_json(columns: list[selectors.Column]) -> dict[str, Any]:
    return {
        str(c.stage.pk): {"count": c.count, "amount": f"{c.amount:,.0f}", "weighted": f"{c.weighted:,.0f}"}
        for c in columns
    }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> JsonResponse:
    """Drop a card on the board (fetch from sales/board.js). JSON: the deal's new version and the totals.

    Errors answer with a message the board shows while the card snaps back: 422 (refused, e.g. a lost
    stage without a reason), 409 (someone changed the deal since the board was loaded), 403, 404.
    """
    try:
        deal = selectors.deal_get(user=request.user, pk=pk)
    except Http404:
        return JsonResponse({"error": _("商談が見つかりません。")}, status=404)
    # The service decides whether the move is allowed (edit scope, version, same pipeline, lost reason).
    stage = Stage.objects.filter(pk=_int_or_none(request.POST.get("stage")) or 0).first()
    if stage is None:
        return JsonResponse({"error": _("このステージには移動できません。")}, status=422)
    try:
        deal = services.deal_board_move(
            deal=deal,
            stage=stage,
            by=request.user,
            before_id=_int_or_none(request.POST.get("before")),
            after_id=_int_or_none(request.POST.get("after")),
            seen_version=_int_or_none(request.POST.get("version")),
            lost_reason=request.POST.get("lost_reason", ""),
            lost_note=request.POST.get("lost_note", ""),
        )
    except VersionConflict:
        message = _("この間に他の人が商談を変更しました。ボードを再読み込みしてください。")
        return JsonResponse({"error": message, "conflict": True}, status=409)
    except ValidationError as exc:
        return JsonResponse({"error": _first_message(exc), "fields": exc.message_dict}, status=422)
    except PermissionDenied:
        return JsonResponse({"error": _("この商談を変更する権限がありません。")}, status=403)
    form = BoardFilterForm(request.GET)
    columns = selectors.deal_board_totals(user=request.user, pipeline=deal.pipeline, filters=form.filters())
    return JsonResponse(
        {
            "ok": True,
            "deal": {
                "id": deal.pk,
                "version": deal.version,
                "stage": deal.stage_id,
                "probability": deal.probability,
            },
            "totals": _totals_json(columns),
        }
    )


# List


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    form = DealFilterForm(request.GET)
    filters = form.filters()
    sort = form.sort_key()
    deals = selectors.deal_list(user=request.user, filters=filters, sort=sort)
    page = ListPage(deals, settings.DAIFUKU_PAGE_SIZE, request.GET.get("page"), read=selectors.deal_list_rows)
    params = [(k, v) for k, v in request.GET.items() if v and k != "page"]
    shown_pipeline = getattr(form, "cleaned_data", {}).get("pipeline", "")  # as the template compared it
    context = {
        "form": form,
        "page": page,
        "rows": deal_rows(page.object_list, shown_pipeline),
        "sort": sort,
        "can_create": visibility.can_create(request.user, DEAL),
        "base_query": urlencode(params),
    }
    return render(request, "sales/deals/deal_list.html", context)


@login_required
@require_GET
def deal_count(request: HttpRequest) -> HttpResponse:
    """The deal list's count ("N件"), asked for after the rows as the customer lists do: counting up to
    the cap reads every visible deal of a sparse filter, which must not delay the page."""
    form = DealFilterForm(request.GET)
    deals = selectors.deal_list(user=request.user, filters=form.filters(), sort=form.sort_key())
    return count_response(request, deals, reverse("sales:deal_list"), "deal")


# Detail


def _extra_partials(context: dict[str, Any], request: HttpRequest) -> list[str]:
    """Other areas' sections of the deal page (competitors, quotes), once their templates exist."""
    rendered = []
    for name in DEAL_EXTRA_PARTIALS:
        try:
            rendered.append(render_to_string(name, context, request=request))
        except TemplateDoesNotExist:
            continue
    return rendered


ACTION_LABELS = {
    "create": gettext_lazy("登録"),
    "update": gettext_lazy("更新"),
    "stage": gettext_lazy("ステージ変更"),
    "delete": gettext_lazy("ごみ箱へ移動"),
    "restore": gettext_lazy("復元"),
    "competitor_add": gettext_lazy("競合を追加"),
    "competitor_update": gettext_lazy("競合を更新"),
    "competitor_remove": gettext_lazy("競合を削除"),
}
# Fields of the competitor entries (services/competitors.py), which are not Deal fields.
EXTRA_FIELD_LABELS = {
    "competitor": gettext_lazy("競合"),
    "offer_price": gettext_lazy("競合の提示価格"),
}


def _field_label(name: str) -> str:
    if name == "lines":
        return _("明細")
    if name in EXTRA_FIELD_LABELS:
        return str(EXTRA_FIELD_LABELS[name])
    try:
        return str(Deal._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _history_rows(deal: Deal) -> list[tuple[Any, str, str, str]]:
    """(when, who, what, which fields) of the deal's latest audit entries (the 履歴)."""
    rows = []
    for entry in selectors.deal_history(deal=deal).order_by("-at", "-id")[:DETAIL_HISTORY_LIMIT]:
        fields = _("、").join(_field_label(name) for name in sorted(entry.changes))
        rows.append((entry.at, entry.actor_name, str(ACTION_LABELS.get(entry.action, entry.action)), fields))
    return rows


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_get(user=request.user, pk=pk)
    lines = list(selectors.deal_lines(deal=deal))
    context: dict[str, Any] = {
        "deal": deal,
        "lines": lines,
        "contacts": list(deal.contacts.filter(deleted_at__isnull=True).order_by("kana_key", "id")),
        "stage_history": list(selectors.deal_stage_history(deal=deal)[:DETAIL_HISTORY_LIMIT]),
        "activities": selectors.deal_activities(user=request.user, deal=deal),
        "can_edit": visibility.can_edit(request.user, deal, DEAL),
        "lost_form": LostForm(),
        "is_stale": selectors.deal_is_stale(deal),
        "history": _history_rows(deal),
        "log_kinds": log_kind_choices(),
        "can_log": visibility.can_create(request.user, "activity") and deal.deleted_at is None,
    }
    context["extra_sections"] = _extra_partials(context, request)
    return render(request, "sales/deals/deal_detail.html", context)


@login_required
@require_POST
def deal_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, mail, visit or note about the deal (on the deal page and the company timeline)."""
    deal = selectors.deal_get(user=request.user, pk=pk)
    log_related_activity(
        request, related_type=selectors.DEAL_RELATED_TYPE, related_id=deal.pk, company_id=deal.company_id
    )
    return redirect(reverse("sales:deal_detail", args=[deal.pk]) + "#activities")


# Create / edit


def _contact_choices(user: Any, company_id: Any) -> list[tuple[int, str]]:
    pk = _int_or_none(company_id)
    if not pk:
        return []
    contacts = customer_selectors.contact_queryset(user=user).filter(company_id=pk).order_by("kana_key", "id")
    return [(c.pk, c.full_name) for c in contacts[:200]]


def _line_initial(deal: Deal) -> list[dict[str, Any]]:
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "unit_cost": f"{line.unit_cost.normalize():f}",
            "tax_category": line.tax_category,
        }
        for line in selectors.deal_lines(deal=deal)
    ]


def _deal_initial(deal: Deal) -> dict[str, Any]:
    return {
        "name": deal.name,
        "company": deal.company_id,
        "contacts": [str(pk) for pk in deal.contacts.values_list("pk", flat=True)],
        "owner": deal.owner_id,
        "pipeline": deal.pipeline_id,
        "stage": deal.stage_id,
        "probability": str(deal.probability),
        "amount": f"{deal.amount.normalize():f}",
        "currency": deal.currency_id,
        "quantity": str(deal.quantity),
        "cost": f"{deal.cost.normalize():f}",
        "billing_type": deal.billing_type,
        "expected_close_date": deal.expected_close_date.isoformat() if deal.expected_close_date else "",
        "next_action": deal.next_action,
        "next_action_date": deal.next_action_date.isoformat() if deal.next_action_date else "",
        "notes": deal.notes,
        "lost_reason": deal.lost_reason,
        "lost_note": deal.lost_note,
        "version": deal.version,
    }


def _put_errors(
    form: DealForm, formset: Any, row_forms: list[Any], message_dict: dict[str, list[str]]
) -> None:
    """Service errors onto the deal form and the line rows (``lines.<n>.<field>``)."""
    for name, msgs in message_dict.items():
        if name.startswith("lines."):
            _prefix, number, *rest = name.split(".")
            index = int(number) - 1 if number.isdigit() else -1
            field = rest[0] if rest else None
            if 0 <= index < len(row_forms):
                target = row_forms[index]
                for message in msgs:
                    target.add_error(field if field in target.fields else None, message)
                continue
        for message in msgs:
            form.add_error(name if name in form.fields else None, message)


def _save_form(
    request: HttpRequest, deal: Deal | None
) -> tuple[Any, DealForm, Any, list[tuple[str, Any]] | None]:
    """Handle a POSTed deal form; returns (saved deal or None, form, formset, conflict rows)."""
    user = request.user
    company_id = request.POST.get("company")
    form = DealForm(request.POST, contact_choices=_contact_choices(user, company_id))
    formset = DealLineFormSet(request.POST, prefix="lines")
    if deal is not None:
        form.initial = _deal_initial(deal)
    if not (form.is_valid() and formset.is_valid()):
        return None, form, formset, None
    rows, row_forms = formset.service_rows()
    data = form.service_data(creating=deal is None)
    data["lines"] = rows
    if not rows:
        data.pop("lines")
        if deal is not None and deal.lines.exists():
            data["lines"] = []
    try:
        if deal is None:
            saved = services.deal_create(by=user, data=data)
        else:
            saved = services.deal_update(
                deal=deal, by=user, data=data, seen_version=form.cleaned_data["version"]
            )
    except VersionConflict as exc:
        form.data = form.data.copy()
        form.data["version"] = str(exc.current_version)
        labels = {f.name: str(f.verbose_name) for f in Deal._meta.get_fields() if hasattr(f, "verbose_name")}
        conflict = [(labels.get(name, name), old, new) for name, (old, new) in exc.changed_fields.items()]
        return None, form, formset, conflict
    except ValidationError as exc:
        _put_errors(form, formset, row_forms, exc.message_dict)
        return None, form, formset, None
    except PermissionDenied:
        form.add_error("owner", _("この担当者・チームには割り当てられません（権限の範囲外です）。"))
        return None, form, formset, None
    return saved, form, formset, None


@login_required
@require_GET
def deal_contact_choices(request: HttpRequest) -> HttpResponse:
    """The 先方の担当者 checkboxes for the company just chosen in the deal form (htmx partial)."""
    form = DealForm(contact_choices=_contact_choices(request.user, request.GET.get("company")))
    return render(request, "web/_field.html", {"field": form["contacts"]})


def _company_label(user: Any, pk: Any) -> str:
    pk = _int_or_none(pk)
    if not pk:
        return ""
    company = customer_selectors.company_queryset(user=user).filter(pk=pk).first()
    return company.display_name if company else ""


def _form_page(
    request: HttpRequest, deal: Deal | None, form: DealForm, formset: Any, conflict: Any
) -> HttpResponse:
    form.fields["company"].widget.label = _company_label(request.user, form["company"].value())  # type: ignore[attr-defined]
    context = {"deal": deal, "form": form, "formset": formset, "conflict": conflict}
    invalid = bool(form.errors) or any(f.errors for f in formset.forms) or bool(formset.non_form_errors())
    return render(request, "sales/deals/deal_form.html", context, status=422 if invalid else 200)


@login_required
@require_http_methods(["GET", "POST"])
def deal_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not visibility.can_create(user, DEAL):
        raise PermissionDenied
    if request.method == "POST":
        saved, form, formset, conflict = _save_form(request, None)
        if saved is not None:
            messages.success(request, _("商談「%(name)s」を登録しました。") % {"name": saved.name})
            return redirect(deal_url(saved))
        return _form_page(request, None, form, formset, conflict)
    pipeline = selectors.pipeline_default()
    company = request.GET.get("company")
    initial = {
        "owner": user.pk,
        "company": _int_or_none(company),
        "pipeline": pipeline.pk if pipeline else None,
        "stage": selectors.stage_list(pipeline=pipeline).values_list("pk", flat=True).first()
        if pipeline
        else None,
        "currency": "JPY",
        "quantity": "1",
    }
    form = DealForm(initial=initial, contact_choices=_contact_choices(user, company))
    return _form_page(request, None, form, DealLineFormSet(prefix="lines"), None)


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    if request.method == "POST":
        saved, form, formset, conflict = _save_form(request, deal)
        if saved is not None:
            messages.success(request, _("商談を更新しました。"))
            return redirect(deal_url(saved))
        return _form_page(request, deal, form, formset, conflict)
    form = DealForm(
        initial=_deal_initial(deal), contact_choices=_contact_choices(request.user, deal.company_id)
    )
    formset = DealLineFormSet(prefix="lines", initial=_line_initial(deal))
    return _form_page(request, deal, form, formset, None)


# Won / lost / trash


@login_required
@require_POST
def deal_won(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    try:
        services.deal_mark_won(deal=deal, by=request.user)
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
    else:
        messages.success(request, _("商談「%(name)s」を受注にしました。") % {"name": deal.name})
    return redirect(deal_url(deal))


@login_required
@require_http_methods(["GET", "POST"])
def deal_lost(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    form = LostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_mark_lost(
                deal=deal,
                by=request.user,
                reason=form.cleaned_data["lost_reason"],
                note=form.cleaned_data["lost_note"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("商談「%(name)s」を失注にしました。") % {"name": deal.name})
            return redirect(deal_url(deal))
    status = 422 if form.errors else 200
    return render(request, "sales/deals/deal_lost.html", {"deal": deal, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _editable(request, pk)
    if request.method == "POST":
        services.deal_trash(deal=deal, by=request.user)
        messages.success(request, _("商談「%(name)s」をごみ箱に移動しました。") % {"name": deal.name})
        return redirect("sales:deal_list")
    return render(request, "sales/deals/deal_confirm_delete.html", {"deal": deal})


@login_required
@require_GET
def deal_trash(request: HttpRequest) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    deals = list(selectors.deal_trash(user=request.user)[:200])
    return render(request, "sales/deals/deal_trash.html", {"deals": deals})


@login_required
@require_POST
def deal_restore(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_administrator:
        raise Http404
    deal = selectors.deal_get(user=request.user, pk=pk, include_deleted=True)
    services.deal_restore(deal=deal, by=request.user)
    messages.success(request, _("商談「%(name)s」を復元しました。") % {"name": deal.name})
    return redirect(deal_url(deal))


# Pipeline settings (administrators)


def _admin_only(request: HttpRequest) -> None:
    if not request.user.is_administrator:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = services.pipeline_create(by=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("パイプライン「%(name)s」を作成しました。") % {"name": pipeline.name})
            return redirect("sales:pipeline_detail", pk=pipeline.pk)
    pipelines = list(selectors.pipeline_list(include_inactive=True).prefetch_related("stages"))
    status = 422 if form.errors else 200
    return render(
        request, "sales/pipelines/pipeline_list.html", {"pipelines": pipelines, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The pipeline's settings and its stages (rename, probability, flags, order, add, delete)."""
    _admin_only(request)
    pipeline = selectors.pipeline_get(pk=pk, include_inactive=True)
    form = PipelineForm(initial=pipeline_initial(pipeline))
    stage_form = StageForm(prefix="new")
    action = request.POST.get("action", "")
    try:
        if action == "pipeline":
            form = PipelineForm(request.POST)
            if form.is_valid():
                services.pipeline_update(pipeline=pipeline, by=request.user, data=form.cleaned_data)
                messages.success(request, _("パイプラインを更新しました。"))
                return redirect("sales:pipeline_detail", pk=pipeline.pk)
        elif action == "add_stage":
            stage_form = StageForm(request.POST, prefix="new")
            if stage_form.is_valid():
                services.stage_create(pipeline=pipeline, by=request.user, data=stage_form.cleaned_data)
                messages.success(request, _("ステージを追加しました。"))
                return redirect("sales:pipeline_detail", pk=pipeline.pk)
        elif action in {"update_stage", "delete_stage", "up", "down"}:
            stage = selectors.stage_get(pk=request.POST.get("stage"), pipeline=pipeline)
            if action == "update_stage":
                edit = StageForm(request.POST, prefix=f"s{stage.pk}")
                if not edit.is_valid():
                    raise ValidationError({name: errors[0] for name, errors in edit.errors.items()})
                services.stage_update(stage=stage, by=request.user, data=edit.cleaned_data)
                messages.success(request, _("ステージ「%(name)s」を更新しました。") % {"name": stage.name})
            elif action == "delete_stage":
                services.stage_delete(stage=stage, by=request.user)
                messages.success(request, _("ステージ「%(name)s」を削除しました。") % {"name": stage.name})
            else:
                ids = list(
                    selectors.stage_list(pipeline=pipeline, include_inactive=True).values_list(
                        "pk", flat=True
                    )
                )
                index = ids.index(stage.pk)
                other = index - 1 if action == "up" else index + 1
                if 0 <= other < len(ids):
                    ids[index], ids[other] = ids[other], ids[index]
                    services.stage_reorder(pipeline=pipeline, by=request.user, stage_ids=ids)
            return redirect("sales:pipeline_detail", pk=pipeline.pk)
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
        if action != "add_stage" and action != "pipeline":
            return redirect("sales:pipeline_detail", pk=pipeline.pk)
        (stage_form if action == "add_stage" else form).add_service_errors(exc.message_dict)
    stages = list(selectors.stage_list(pipeline=pipeline, include_inactive=True))
    counts = selectors.stage_deal_counts(pipeline=pipeline)
    rows = [
        (
            stage,
            StageForm(
                prefix=f"s{stage.pk}",
                initial={
                    "name": stage.name,
                    "probability": stage.probability,
                    "is_won": stage.is_won,
                    "is_lost": stage.is_lost,
                    "is_active": stage.is_active,
                },
            ),
            counts.get(stage.pk, 0),
        )
        for stage in stages
    ]
    context = {"pipeline": pipeline, "form": form, "stage_form": stage_form, "rows": rows}
    status = 422 if form.errors or stage_form.errors else 200
    return render(request, "sales/pipelines/pipeline_detail.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("deals/", deal_list, name="deal_list"),
    path("deals/count/", deal_count, name="deal_count"),
    path("deals/board/", deal_board, name="deal_board"),
    path("deals/<int:pk>/activities/", deal_log_activity, name="deal_log_activity"),
    path("deals/new/", deal_create, name="deal_create"),
    path("deals/trash/", deal_trash, name="deal_trash"),
    path("deals/contacts/", deal_contact_choices, name="deal_contact_choices"),
    path("deals/<int:pk>/", deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", deal_move, name="deal_move"),
    path("deals/<int:pk>/won/", deal_won, name="deal_won"),
    path("deals/<int:pk>/lost/", deal_lost, name="deal_lost"),
    path("deals/<int:pk>/delete/", deal_delete, name="deal_delete"),
    path("deals/<int:pk>/restore/", deal_restore, name="deal_restore"),
    path("pipelines/", pipeline_list, name="pipeline_list"),
    path("pipelines/<int:pk>/", pipeline_detail, name="pipeline_detail"),
]
