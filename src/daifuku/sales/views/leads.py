"""Pages of the sales module: leads (引合), their assignment rules, web forms and the public endpoint.

A lead outside the user's read scope answers 404 (``selectors.lead_get``); one the user may read but
not change answers 403 on the edit, status, assign and convert pages. Writes go through services.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core import jp, visibility
from daifuku.core.middleware import client_ip
from daifuku.core.services import VersionConflict
from daifuku.customers.views import ListPage, _conflict, _history, _list_response, count_response
from daifuku.sales.forms.leads import (
    HONEYPOT_FIELD,
    PUBLIC_FIELD_NAMES,
    PUBLIC_FIELDS,
    AssignmentRuleForm,
    LeadAssignForm,
    LeadConvertForm,
    LeadFilterForm,
    LeadForm,
    LeadStatusForm,
    WebLeadFormForm,
)
from daifuku.sales.models import Lead, LeadStatus, WebLeadForm
from daifuku.sales.selectors import leads as selectors
from daifuku.sales.services import leads as services
from daifuku.sales.views.activity_log import log_kind_choices, log_related_activity

LEAD = "lead"
ACTION_LABELS = {
    "create": gettext_lazy("登録"),
    "update": gettext_lazy("更新"),
    "delete": gettext_lazy("ごみ箱へ移動"),
    "restore": gettext_lazy("復元"),
    "assign": gettext_lazy("割り当て"),
    "status": gettext_lazy("状態の変更"),
    "convert": gettext_lazy("商談化"),
}
REASON_LABELS = {
    "corporate_number": gettext_lazy("法人番号が一致"),
    "name": gettext_lazy("会社名が一致"),
    "phone": gettext_lazy("電話番号が一致"),
    "email_domain": gettext_lazy("メールのドメインが一致"),
    "email": gettext_lazy("メールアドレスが一致"),
    "name_in_company": gettext_lazy("同じ会社に同姓同名"),
}


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort in selectors.SORTS else "-created"


# List and detail


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    is_manager = services.sees_unassigned(user)
    form = LeadFilterForm(request.GET, show_unassigned=is_manager)
    sort = _sort(request)
    leads = selectors.lead_list(user=user, filters=form.filters(), sort=sort)
    page = ListPage(leads, settings.DAIFUKU_PAGE_SIZE, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "can_create": visibility.can_create(user, LEAD),
        "unassigned": selectors.unassigned_count(user=user) if is_manager else 0,
        "is_manager": services.is_lead_manager(user),
    }
    return _list_response(request, "sales/leads/lead_list.html", "sales/leads/_lead_table.html", context)


@login_required
@require_GET
def lead_count(request: HttpRequest) -> HttpResponse:
    """The lead list's count, asked for after the table (see customers' lists)."""
    form = LeadFilterForm(request.GET, show_unassigned=services.sees_unassigned(request.user))
    leads = selectors.lead_list(user=request.user, filters=form.filters())
    return count_response(request, leads, reverse("sales:lead_list"), "lead")


def _candidates(user: Any, lead: Lead) -> selectors.ConversionCandidates | None:
    if lead.status not in services.CONVERTIBLE_STATUSES or not services.lead_can_edit(user, lead):
        return None
    return selectors.lead_conversion_candidates(lead=lead, by=user)


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = selectors.lead_get(user=user, pk=pk)
    can_edit = services.lead_can_edit(user, lead)
    open_lead = lead.status != LeadStatus.CONVERTED
    context = {
        "lead": lead,
        "can_edit": can_edit and open_lead,
        "can_assign": can_edit and open_lead and services.is_lead_manager(user),
        "can_convert": can_edit and lead.status in services.CONVERTIBLE_STATUSES,
        "activities": selectors.lead_activities(user=user, lead=lead),
        "candidates": _candidates(user, lead),
        "reason_labels": REASON_LABELS,
        "status_form": LeadStatusForm(initial={"status": lead.status, "version": lead.version}),
        "phone_display": jp.phone_display(lead.phone),
        "postal_display": jp.postal_display(lead.postal_code),
        "log_kinds": log_kind_choices(),
        "can_log": visibility.can_create(user, "activity"),
        "history": _history(user, Lead, selectors.lead_history(lead=lead)),
        "action_labels": ACTION_LABELS,
    }
    return render(request, "sales/leads/lead_detail.html", context)


def _editable(request: HttpRequest, pk: int) -> Lead:
    lead = selectors.lead_get(user=request.user, pk=pk)
    if not services.lead_can_edit(request.user, lead):
        raise PermissionDenied
    return lead


# Create and edit


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not visibility.can_create(user, LEAD):
        raise PermissionDenied
    if request.method == "POST":
        form = LeadForm(request.POST)
        if form.is_valid():
            try:
                lead = services.lead_create(
                    by=user, data=form.service_data(), owner=form.cleaned_data.get("owner")
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error("owner", _("この担当者には割り当てられません（権限の範囲外です）。"))
            else:
                messages.success(request, _("引合「%(name)s」を登録しました。") % {"name": lead})
                return redirect("sales:lead_detail", pk=lead.pk)
    else:
        form = LeadForm(initial={"owner": user.pk})
    return render(request, "sales/leads/lead_form.html", {"form": form, "lead": None})


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _editable(request, pk)
    conflict = None
    if request.method == "POST":
        form = LeadForm(request.POST, instance=lead)
        if form.is_valid():
            try:
                services.lead_update(
                    lead=lead, by=user, data=form.service_data(), seen_version=form.cleaned_data["version"]
                )
            except VersionConflict as exc:
                conflict = _conflict(user, Lead, exc, form)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("引合を更新しました。"))
                return redirect("sales:lead_detail", pk=lead.pk)
    else:
        form = LeadForm(instance=lead)
    return render(request, "sales/leads/lead_form.html", {"form": form, "lead": lead, "conflict": conflict})


@login_required
@require_http_methods(["GET", "POST"])
def lead_delete(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _editable(request, pk)
    if request.method == "POST":
        try:
            services.lead_trash(lead=lead, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("sales:lead_detail", pk=lead.pk)
        messages.success(request, _("引合「%(name)s」をごみ箱に移動しました。") % {"name": lead})
        return redirect("sales:lead_list")
    return render(request, "customers/confirm_delete.html", {"object": lead, "kind": _("引合")})


# Assign, status, activities


@login_required
@require_http_methods(["GET", "POST"])
def lead_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _editable(request, pk)
    if not services.is_lead_manager(user):
        raise PermissionDenied
    if request.method == "POST":
        form = LeadAssignForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                lead = services.lead_assign(
                    lead=lead, by=user, owner=data["owner"], use_rules=data["use_rules"], note=data["note"]
                )
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error("owner", _("この担当者には割り当てられません（権限の範囲外です）。"))
            else:
                owner = lead.owner.display_name if lead.owner else "—"
                messages.success(request, _("引合を %(owner)s さんに割り当てました。") % {"owner": owner})
                return redirect("sales:lead_detail", pk=lead.pk)
    else:
        form = LeadAssignForm(initial={"owner": lead.owner_id})
    return render(request, "sales/leads/lead_assign.html", {"form": form, "lead": lead})


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _editable(request, pk)
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.lead_set_status(
                lead=lead,
                by=request.user,
                status=data["status"],
                reason=data["disqualify_reason"],
                note=data["disqualify_note"],
                seen_version=data["version"],
            )
        except VersionConflict:
            messages.error(
                request, _("この間に他の人が引合を変更しました。内容を確認してもう一度操作してください。")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("状態を変更しました。"))
    else:
        messages.error(request, _("状態を選んでください。"))
    return redirect("sales:lead_detail", pk=lead.pk)


@login_required
@require_POST
def lead_log_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, mail or note about the lead; it moves to the deal and company at conversion."""
    lead = selectors.lead_get(user=request.user, pk=pk)
    log_related_activity(request, related_type=services.LEAD_TYPE, related_id=lead.pk)
    return redirect(reverse("sales:lead_detail", args=[lead.pk]) + "#activities")


# Conversion


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = _editable(request, pk)
    if lead.status not in services.CONVERTIBLE_STATUSES:
        messages.error(request, _("商談化できるのは「対応中」か「見込みあり」の引合です。"))
        return redirect("sales:lead_detail", pk=lead.pk)
    candidates = selectors.lead_conversion_candidates(lead=lead, by=user)
    if request.method == "POST":
        form = LeadConvertForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                lead = services.lead_convert(
                    lead=lead,
                    by=user,
                    company=data["company"],
                    contact=data["contact"],
                    create_deal=data["create_deal"],
                    deal_name=data["deal_name"],
                    deal_amount=data["deal_amount"],
                    pipeline=data["pipeline"].pk if data.get("pipeline") else None,
                    seen_version=data["version"],
                )
            except VersionConflict:
                form.add_error(
                    None, _("この間に他の人が引合を変更しました。内容を確認してもう一度操作してください。")
                )
                form.data = form.data.copy()
                form.data["version"] = str(selectors.lead_get(user=user, pk=pk).version)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except PermissionDenied:
                form.add_error(None, _("取引先・担当者・商談を登録する権限がありません。"))
            else:
                messages.success(request, _("引合を商談化しました。"))
                if lead.converted_deal_id:
                    return redirect("sales:deal_detail", pk=lead.converted_deal_id)
                return redirect(lead.converted_company)
    else:
        first_company = candidates.companies[0].record.pk if candidates.companies else "new"
        first_contact = candidates.contacts[0].record.pk if candidates.contacts else "new"
        form = LeadConvertForm(
            initial={
                "company": str(first_company),
                "contact": str(first_contact),
                "deal_name": lead.company_name,
                "deal_amount": "" if lead.budget is None else str(lead.budget),
                "version": lead.version,
            }
        )
    context = {
        "lead": lead,
        "form": form,
        "candidates": candidates,
        "reason_labels": REASON_LABELS,
        "company_choice": str(form["company"].value() or "new"),
        "contact_choice": str(form["contact"].value() or "new"),
    }
    return render(request, "sales/leads/lead_convert.html", context)


# Assignment rules (managers and administrators)


def _rule_manager(request: HttpRequest) -> None:
    if not services.is_lead_manager(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def rule_list(request: HttpRequest) -> HttpResponse:
    _rule_manager(request)
    form = AssignmentRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.assignment_rule_save(by=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("割当ルール「%(name)s」を登録しました。") % {"name": rule.name})
            return redirect("sales:lead_rule_list")
    context = {"rules": selectors.assignment_rules(user=request.user), "form": form}
    return render(request, "sales/leads/rule_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _rule_manager(request)
    rule = selectors.assignment_rule_get(user=request.user, pk=pk)
    if request.method == "POST":
        if request.POST.get("delete"):
            services.assignment_rule_delete(rule=rule, by=request.user)
            messages.success(request, _("割当ルール「%(name)s」を削除しました。") % {"name": rule.name})
            return redirect("sales:lead_rule_list")
        form = AssignmentRuleForm(request.POST, instance=rule)
        if form.is_valid():
            try:
                services.assignment_rule_save(by=request.user, data=form.service_data(), rule=rule)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("割当ルールを更新しました。"))
                return redirect("sales:lead_rule_list")
    else:
        form = AssignmentRuleForm(instance=rule)
    return render(request, "sales/leads/rule_form.html", {"form": form, "rule": rule})


# Web-to-lead forms (administrators)


def _form_admin(request: HttpRequest) -> None:
    if not request.user.is_administrator:
        raise Http404


def public_url(form: WebLeadForm) -> str:
    base = settings.DAIFUKU_BASE_URL.rstrip("/")
    return base + reverse("sales:web_to_lead", args=[form.token])


@login_required
@require_http_methods(["GET", "POST"])
def web_form_list(request: HttpRequest) -> HttpResponse:
    _form_admin(request)
    form = WebLeadFormForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.web_form_save(by=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(
                request, _("Web引合フォーム「%(name)s」を作成しました。") % {"name": created.name}
            )
            return redirect("sales:lead_web_form_edit", pk=created.pk)
    context = {"forms": selectors.web_forms(user=request.user), "form": form}
    return render(request, "sales/leads/web_form_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def web_form_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _form_admin(request)
    web_form = selectors.web_form_get(user=request.user, pk=pk)
    if request.method == "POST":
        if request.POST.get("reissue"):
            services.web_form_reissue_token(form=web_form, by=request.user)
            messages.success(request, _("URLを再発行しました。埋め込みコードを貼り直してください。"))
            return redirect("sales:lead_web_form_edit", pk=web_form.pk)
        form = WebLeadFormForm(request.POST, instance=web_form)
        if form.is_valid():
            try:
                services.web_form_save(by=request.user, data=form.service_data(), form=web_form)
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            else:
                messages.success(request, _("Web引合フォームを更新しました。"))
                return redirect("sales:lead_web_form_edit", pk=web_form.pk)
    else:
        form = WebLeadFormForm(instance=web_form)
    snippet = render_to_string(
        "sales/leads/_embed_snippet.html",
        {"action_url": public_url(web_form), "fields": PUBLIC_FIELDS, "honeypot": HONEYPOT_FIELD},
    )
    context = {"web_form": web_form, "form": form, "action_url": public_url(web_form), "snippet": snippet}
    return render(request, "sales/leads/web_form_edit.html", context)


# The public web-to-lead endpoint

W2L_RATE_PER_CLIENT = 10  # posts per client IP and form
W2L_RATE_PER_FORM = 100  # posts per form from everyone
W2L_RATE_WINDOW = 60  # seconds
W2L_EXTRA_FIELDS = 20
W2L_EXTRA_LENGTH = 2000


def _over_rate(key: str, limit: int) -> bool:
    """Count one hit in a fixed window; True when the count passes ``limit``."""
    cache.add(key, 0, W2L_RATE_WINDOW)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, W2L_RATE_WINDOW)
        hits = 1
    return bool(hits > limit)


def _origin_allowed(request: HttpRequest, form: WebLeadForm) -> bool:
    allowed = [line.strip() for line in form.allowed_origins.splitlines() if line.strip()]
    if not allowed:
        return True
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null":
        referer = urlsplit(request.headers.get("Referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc else ""
    origin = origin.lower().rstrip("/")
    own = f"{request.scheme}://{request.get_host()}".lower()
    return origin in allowed or origin == own


def _public_form_context(
    web_form: WebLeadForm, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "web_form": web_form,
        "fields": [
            {
                "name": n,
                "label": label,
                "type": t,
                "required": r,
                "value": values.get(n, ""),
                "error": errors.get(n),
            }
            for n, label, t, r in PUBLIC_FIELDS
        ],
        "honeypot": HONEYPOT_FIELD,
        "errors": errors,
        "other_errors": [message for name, message in errors.items() if name not in PUBLIC_FIELD_NAMES],
    }


@csrf_exempt
@require_http_methods(["GET", "POST"])
def web_to_lead(request: HttpRequest, token: str) -> HttpResponse:
    """The public endpoint an embedded form posts to from another site; GET shows a hosted copy.

    CSRF: exempt on purpose. The form lives on the customer's own site, so it cannot carry our CSRF
    token, and there is no session whose authority a forged post could borrow: the endpoint only
    ever creates a lead, as nobody. What protects it instead:
    - the unguessable per-form ``token`` in the URL (a form can be switched off or its token
      reissued; unknown or inactive tokens answer 404);
    - when the form lists ``allowed_origins``, the ``Origin`` (or ``Referer``) must be one of them
      or this server itself, else 403;
    - a rate limit per client IP and per form in Django's cache (429 when exceeded);
    - a honeypot input people never see: when it is filled the answer looks like success, and
      nothing is stored.
    """
    web_form = selectors.web_form_by_token(token=token)
    if web_form is None:
        raise Http404
    if request.method == "GET":
        return render(request, "sales/leads/w2l_form.html", _public_form_context(web_form, {}, {}))
    if not _origin_allowed(request, web_form):
        return render(
            request,
            "sales/leads/w2l_error.html",
            {"message": _("このサイトからの送信は受け付けていません。")},
            status=403,
        )
    ip = client_ip(request) or "unknown"
    if _over_rate(f"w2l:{web_form.pk}:{ip}", W2L_RATE_PER_CLIENT) or _over_rate(
        f"w2l:{web_form.pk}", W2L_RATE_PER_FORM
    ):
        response = render(
            request,
            "sales/leads/w2l_error.html",
            {"message": _("送信が多すぎます。しばらくしてからもう一度お試しください。")},
            status=429,
        )
        response["Retry-After"] = str(W2L_RATE_WINDOW)
        return response
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        return _thank_you(request, web_form)
    values = {name: request.POST.get(name, "").strip() for name in PUBLIC_FIELD_NAMES}
    errors = {
        name: str(_("入力してください。"))
        for name, _label, _type, required in PUBLIC_FIELDS
        if required and not values[name]
    }
    extra = {
        key[:50]: value[:W2L_EXTRA_LENGTH]
        for key, value in list(request.POST.items())[: len(PUBLIC_FIELD_NAMES) + W2L_EXTRA_FIELDS + 2]
        if key not in PUBLIC_FIELD_NAMES
        and key not in (HONEYPOT_FIELD, "csrfmiddlewaretoken")
        and value.strip()
    }
    if not errors:
        try:
            services.web_lead_submit(form=web_form, data=values, extra=extra, remote_addr=client_ip(request))
        except ValidationError as exc:
            errors = {name: " ".join(messages_) for name, messages_ in exc.message_dict.items()}
        else:
            return _thank_you(request, web_form)
    return render(
        request, "sales/leads/w2l_form.html", _public_form_context(web_form, values, errors), status=400
    )


def _thank_you(request: HttpRequest, web_form: WebLeadForm) -> HttpResponse:
    if web_form.thank_you_url:
        return redirect(web_form.thank_you_url)
    return render(request, "sales/leads/w2l_thanks.html", {"web_form": web_form})


urlpatterns: list[URLPattern] = [
    path("leads/", lead_list, name="lead_list"),
    path("leads/count/", lead_count, name="lead_count"),
    path("leads/new/", lead_create, name="lead_create"),
    path("leads/<int:pk>/", lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", lead_edit, name="lead_edit"),
    path("leads/<int:pk>/delete/", lead_delete, name="lead_delete"),
    path("leads/<int:pk>/assign/", lead_assign, name="lead_assign"),
    path("leads/<int:pk>/status/", lead_status, name="lead_status"),
    path("leads/<int:pk>/activity/", lead_log_activity, name="lead_log_activity"),
    path("leads/<int:pk>/convert/", lead_convert, name="lead_convert"),
    path("leads/rules/", rule_list, name="lead_rule_list"),
    path("leads/rules/<int:pk>/", rule_edit, name="lead_rule_edit"),
    path("leads/forms/", web_form_list, name="lead_web_form_list"),
    path("leads/forms/<int:pk>/", web_form_edit, name="lead_web_form_edit"),
    path("w2l/<str:token>/", web_to_lead, name="web_to_lead"),
]
