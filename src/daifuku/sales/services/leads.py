"""Writes of the sales module: leads (引合), their assignment, status, conversion and web forms.

Input is a plain ``dict`` (from a form, the API or the public web-to-lead endpoint). Values are
normalized the way the customers services do it (NFKC, phones to E.164, postal codes to 7 digits,
フリガナ to katakana, 法人番号 check digit) and the 名寄せ keys are stored, so conversion can find
the company and contact a lead probably already is.

Who may change a lead: whoever's edit scope for ``lead`` covers it; unassigned leads (no owner)
also managers and administrators, who see them in their queue (``selectors.leads``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from daifuku.activities.models import Activity, Task
from daifuku.core import audit, events, jp, search, visibility
from daifuku.core.models import RoleScope, Scope, Team, User
from daifuku.core.services import NOTIFICATION_KINDS, check_version, notify, trash_record
from daifuku.customers import selectors as customer_selectors
from daifuku.customers import services as customer_services
from daifuku.customers.models import Company, Contact, Industry
from daifuku.sales.models import (
    AssignmentMethod,
    Deal,
    DisqualifyReason,
    Lead,
    LeadAssignmentRule,
    LeadSource,
    LeadStatus,
    WebLeadForm,
)
from daifuku.sales.services.common import Cleaner

LEAD = "lead"
LEAD_TYPE = "sales.lead"
DEAL_TYPE = "sales.deal"

# Fields a person edits on the lead form / API (owner, status and conversion have their own services).
LEAD_FIELDS = [
    "source", "source_detail", "company_name", "corporate_number", "family_name", "given_name",
    "family_name_kana", "given_name_kana", "department", "title", "email", "phone", "postal_code",
    "prefecture", "city", "street", "website", "industry", "need", "budget",
]  # fmt: skip
_TEXT_LIMITS = {
    "source_detail": 200, "company_name": 200, "family_name": 100, "given_name": 100,
    "family_name_kana": 100, "given_name_kana": 100, "department": 200, "title": 100, "city": 100,
    "street": 200,
}  # fmt: skip
# Statuses a person sets by hand; "converted" is reached only through lead_convert.
MANUAL_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
CONVERTIBLE_STATUSES = (LeadStatus.WORKING, LeadStatus.QUALIFIED)

NOTIFICATION_KINDS.setdefault("lead.assigned", gettext_lazy("引合の割当"))


def lead_search_parts(lead: Lead) -> list[str]:
    return [
        lead.company_name,
        f"{lead.family_name}{lead.given_name}",
        f"{lead.family_name_kana}{lead.given_name_kana}",
        lead.email,
        jp.phone_search_text(lead.phone),
        lead.department,
    ]


search.register(LEAD, Lead, lead_search_parts)


# Permissions


def is_lead_manager(user: User) -> bool:
    """Managers and administrators handle the queue of unassigned leads."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_administrator:
        return True
    return bool(user.role_id and user.role and user.role.slug == "manager")


def sees_unassigned(user: User) -> bool:
    """May ``user`` read leads nobody owns yet (managers with any read scope, or an ``all`` scope)."""
    read = visibility.scope_for(user, LEAD, "read")
    return read == Scope.ALL or (read != Scope.NONE and is_lead_manager(user))


def lead_can_edit(user: User, lead: Lead) -> bool:
    if lead.owner_id is None:
        return visibility.scope_for(user, LEAD, "edit") == Scope.ALL or (
            is_lead_manager(user) and visibility.scope_for(user, LEAD, "edit") != Scope.NONE
        )
    return visibility.can_edit(user, lead, LEAD)


def _check_can_edit(user: User, lead: Lead) -> None:
    if not lead_can_edit(user, lead):
        raise PermissionDenied(_("この引合を変更する権限がありません。"))


def _lock(lead: Lead) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)


# Normalization


def lead_clean(data: dict[str, Any], *, instance: Lead | None = None) -> dict[str, Any]:
    """Normalize lead input; return the values or raise ValidationError naming each bad field."""
    c = Cleaner(data, LEAD_FIELDS)
    out: dict[str, Any] = {}
    for name, limit in _TEXT_LIMITS.items():
        if name in c:
            out[name] = jp.nfkc(c.text(name, max_length=limit))
    for name in ("family_name_kana", "given_name_kana"):
        if name in out:
            out[name] = jp.to_katakana(out[name])
    if "need" in c:
        out["need"] = c.text("need")
    if "source" in c:
        out["source"] = c.choice("source", LeadSource.values, default=LeadSource.OTHER)
    if "corporate_number" in c:
        digits = jp.clean_digits(c.text("corporate_number"))
        if digits and not jp.is_valid_corporate_number(digits):
            c.error("corporate_number", _("法人番号は検査用数字を含む13桁です。番号を確認してください。"))
        out["corporate_number"] = digits
    if "email" in c:
        email = jp.nfkc(c.text("email")).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                c.error("email", _("メールアドレスの形式が正しくありません。"))
        out["email"] = email
    if "phone" in c:
        raw = c.text("phone")
        parsed = jp.parse_phone(raw) if raw else ""
        if raw and parsed is None:
            c.error("phone", _("電話番号として読み取れません（例: 03-1234-5678）。"))
        out["phone"] = parsed or ""
    if "website" in c:
        url = jp.nfkc(c.text("website"))
        if url and "://" not in url:
            url = "https://" + url
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                c.error("website", _("URLの形式が正しくありません（例: https://example.co.jp）。"))
        out["website"] = url[:200]
    if "prefecture" in c:
        prefecture = jp.nfkc(c.text("prefecture"))
        if prefecture and prefecture not in customer_selectors.PREFECTURES:
            c.error("prefecture", _("都道府県を選んでください。"))
        out["prefecture"] = prefecture
    if "postal_code" in c:
        raw = c.text("postal_code")
        out["postal_code"] = ""
        if raw:
            cleaned = jp.clean_postal_code(raw)
            if cleaned is None:
                c.error("postal_code", _("郵便番号は7桁の数字です（例: 100-0001）。"))
            else:
                out["postal_code"] = cleaned
                prefecture = out.get("prefecture", getattr(instance, "prefecture", ""))
                city = out.get("city", getattr(instance, "city", ""))
                found = jp.postal_lookup(cleaned) if not prefecture and not city else None
                if found is not None:
                    out["prefecture"], out["city"] = found.prefecture, found.city
                    if not out.get("street", getattr(instance, "street", "")):
                        out["street"] = found.street
    if "industry" in c:
        given = c.data.get("industry")
        out["industry"] = None
        if given not in (None, ""):
            pk = given.pk if isinstance(given, Industry) else given
            found_industry = Industry.objects.filter(pk=pk).first() if str(pk).isdigit() else None
            if found_industry is None:
                c.error("industry", _("指定された業種が見つかりません。"))
            out["industry"] = found_industry
    if "budget" in c:
        out["budget"] = c.decimal("budget", places=0, hi=Decimal("9" * 16))
    c.raise_errors()
    return out


def _check_identity(lead: Lead) -> None:
    """A lead names somebody (a company or a person) and a way to reach them."""
    errors: dict[str, str] = {}
    if not lead.company_name and not lead.family_name:
        errors["company_name"] = _("会社名か氏名（姓）のどちらかを入力してください。")
    if not lead.email and not lead.phone:
        errors["email"] = _("連絡先としてメールアドレスか電話番号を入力してください。")
    if errors:
        raise ValidationError(errors)


def _keys(lead: Lead) -> None:
    lead.company_name_key = jp.company_name_key(lead.company_name)[:200] if lead.company_name else ""
    lead.name_key = jp.person_name_key(lead.family_name, lead.given_name)[:200]


# Assignment


def _rule_matches(rule: LeadAssignmentRule, lead: Lead) -> bool:
    """Every criterion the rule sets must match; an empty criterion matches anything."""
    if rule.prefecture and rule.prefecture != lead.prefecture:
        return False
    if rule.industry_id and rule.industry_id != lead.industry_id:
        return False
    return not (rule.source and rule.source != lead.source)


def _eligible_members(team_id: int) -> list[User]:
    """Active members of a team whose role may own leads, in a stable order (by id)."""
    roles = RoleScope.objects.filter(object_type=LEAD).exclude(edit_scope=Scope.NONE).values("role_id")
    return list(
        User.objects.filter(team_id=team_id, is_active=True, role_id__in=roles)
        .select_related("team")
        .order_by("id")
    )


def _next_in_turn(rule: LeadAssignmentRule) -> User | None:
    """The member after ``rule.last_assigned`` (wrapping round). Call with the rule row locked."""
    if rule.team_id is None:
        return None
    members = _eligible_members(rule.team_id)
    if not members:
        return None
    last = rule.last_assigned_id or 0
    return next((m for m in members if m.pk > last), members[0])


def lead_pick_owner(*, lead: Lead) -> tuple[User | None, Team | None, LeadAssignmentRule | None]:
    """Who gets ``lead`` by the assignment rules: (owner, team, rule), or (None, None, None).

    The first active rule (by ``sort_order``) whose criteria all match and that has somebody to give
    the lead to wins. Round robin locks the rule row (SELECT FOR UPDATE) while choosing and moves its
    ``last_assigned`` on, so leads created at the same time still alternate. Call inside a transaction.
    """
    for rule in LeadAssignmentRule.objects.filter(is_active=True).order_by("sort_order", "id"):
        if not _rule_matches(rule, lead):
            continue
        if rule.method == AssignmentMethod.FIXED:
            assignee = (
                User.objects.filter(pk=rule.assignee_id, is_active=True).select_related("team").first()
                if rule.assignee_id
                else None
            )
            if assignee is not None:
                return assignee, assignee.team, rule
            continue
        locked = LeadAssignmentRule.objects.select_for_update().get(pk=rule.pk)
        member = _next_in_turn(locked)
        if member is None:
            continue
        locked.last_assigned = member
        locked.save(update_fields=["last_assigned", "updated_at"])
        return member, locked.team, locked
    return None, None, None


def _notify_assigned(lead: Lead, by: User | None) -> None:
    if lead.owner is None or (by is not None and lead.owner_id == by.pk):
        return
    notify(
        recipient=lead.owner,
        kind="lead.assigned",
        title=gettext_noop("引合「%(lead)s」の担当になりました"),
        params={"lead": lead},
        body=lead.need[:500],
        url=f"/sales/leads/{lead.pk}/",
    )


# Create, update, trash


@transaction.atomic
def lead_create(
    *,
    by: User | None,
    data: dict[str, Any],
    owner: User | None = None,
    form_data: dict[str, Any] | None = None,
    remote_addr: str | None = None,
    default_owner: User | None = None,
) -> Lead:
    """Record an inquiry. ``by=None`` is the public web form (no user acting).

    With no ``owner`` the assignment rules choose one (then ``default_owner``, e.g. the web form's);
    when nothing matches the lead stays unassigned and waits in the managers' queue. The creator may
    only name an owner inside their own edit scope.
    """
    if by is not None and not visibility.can_create(by, LEAD):
        raise PermissionDenied(_("引合を登録する権限がありません。"))
    values = lead_clean(data)
    lead = Lead(status=LeadStatus.NEW, form_data=form_data or {}, remote_addr=remote_addr or None)
    for name, value in values.items():
        setattr(lead, name, value)
    _check_identity(lead)
    _keys(lead)
    rule = None
    if owner is not None:
        if not owner.is_active:
            raise ValidationError({"owner": _("指定されたユーザーが見つかりません。")})
        if by is not None:
            visibility.check_can_assign(by, LEAD, owner.pk, owner.team_id)
        lead.owner, lead.team = owner, owner.team
    else:
        lead.owner, lead.team, rule = lead_pick_owner(lead=lead)
        if lead.owner is None and default_owner is not None and default_owner.is_active:
            lead.owner, lead.team = default_owner, default_owner.team
    if lead.owner is not None:
        lead.assigned_at = timezone.now()
    lead.save()
    note = _("割当ルール「%(rule)s」") % {"rule": rule.name} if rule else ""
    audit.record(lead, by=by, action="create", changes=audit.diff({}, audit.snapshot(lead)), note=note)
    search.reindex(LEAD, lead)
    events.emit("lead.created", lead=lead, by=by)
    _notify_assigned(lead, by)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, by: User, data: dict[str, Any], seen_version: int | None = None) -> Lead:
    """Change what the lead says. Refused with ``VersionConflict`` if saved since ``seen_version``."""
    lead = _lock(lead)
    _check_can_edit(by, lead)
    if lead.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の引合は編集できません。")})
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"__all__": _("商談化済みの引合は編集できません。")})
    check_version(lead, seen_version)
    values = lead_clean(data, instance=lead)
    before = audit.snapshot(lead)
    for name, value in values.items():
        setattr(lead, name, value)
    _check_identity(lead)
    _keys(lead)
    delta = audit.diff(before, audit.snapshot(lead))
    if not delta:
        return lead
    lead.version += 1
    lead.save()
    audit.record(lead, by=by, action="update", changes=delta)
    search.reindex(LEAD, lead)
    events.emit("lead.updated", lead=lead, by=by, changes=delta)
    return lead


@transaction.atomic
def lead_assign(
    *, lead: Lead, by: User, owner: User | None = None, use_rules: bool = False, note: str = ""
) -> Lead:
    """Give a lead to ``owner`` (managers and administrators), or let the rules choose (``use_rules``).

    The new owner is notified; the team follows the owner's team. A manager assigns within their
    own edit scope (their team); an administrator to anyone.
    """
    lead = _lock(lead)
    if not is_lead_manager(by) or not lead_can_edit(by, lead):
        raise PermissionDenied(_("引合を割り当てられるのはマネージャーと管理者です。"))
    if lead.is_deleted or lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"owner": _("この引合はもう割り当てられません。")})
    rule = None
    if use_rules:
        new_owner, new_team, rule = lead_pick_owner(lead=lead)
        if new_owner is None:
            raise ValidationError({"owner": _("条件に合う割当ルールがありません。")})
    else:
        if owner is None or not owner.is_active:
            raise ValidationError({"owner": _("担当者を選んでください。")})
        new_owner, new_team = owner, owner.team
    if new_owner.pk == lead.owner_id:
        raise ValidationError({"owner": _("現在の担当者と同じです。")})
    if rule is None:
        visibility.check_can_assign(by, LEAD, new_owner.pk, new_team.pk if new_team else None)
    before = audit.snapshot(lead, ["owner", "team", "assigned_at"])
    lead.owner, lead.team = new_owner, new_team
    lead.assigned_at = timezone.now()
    lead.version += 1
    lead.save(update_fields=["owner", "team", "assigned_at", "version", "updated_at"])
    if rule is not None:
        note = note or _("割当ルール「%(rule)s」") % {"rule": rule.name}
    delta = audit.diff(before, audit.snapshot(lead, ["owner", "team", "assigned_at"]))
    audit.record(lead, by=by, action="assign", changes=delta, note=note)
    events.emit("lead.assigned", lead=lead, by=by, old_owner_id=before["owner"])
    _notify_assigned(lead, by)
    return lead


@transaction.atomic
def lead_set_status(
    *,
    lead: Lead,
    by: User,
    status: str,
    reason: str = "",
    note: str = "",
    seen_version: int | None = None,
) -> Lead:
    """Move a lead to new / working / qualified / disqualified (which needs a reason).

    "converted" is only reached through :func:`lead_convert`, and a converted lead stays converted.
    """
    lead = _lock(lead)
    _check_can_edit(by, lead)
    check_version(lead, seen_version)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("商談化済みの引合の状態は変えられません。")})
    if status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("「商談化済み」には商談化の操作でのみ変わります。")})
    if status not in MANUAL_STATUSES:
        raise ValidationError({"status": _("選択肢にない値です。")})
    reason = (reason or "").strip()
    if status == LeadStatus.DISQUALIFIED:
        if not reason:
            raise ValidationError({"disqualify_reason": _("見込みなしの理由を選んでください。")})
        if reason not in DisqualifyReason.values:
            raise ValidationError({"disqualify_reason": _("選択肢にない値です。")})
    else:
        reason, note = "", ""
    if len(note) > 300:
        raise ValidationError({"disqualify_note": _("%(n)s文字以内で入力してください。") % {"n": 300}})
    fields = ["status", "disqualify_reason", "disqualify_note"]
    before = audit.snapshot(lead, fields)
    lead.status, lead.disqualify_reason, lead.disqualify_note = status, reason, note.strip()
    delta = audit.diff(before, audit.snapshot(lead, fields))
    if not delta:
        return lead
    lead.version += 1
    lead.save(update_fields=[*fields, "version", "updated_at"])
    audit.record(lead, by=by, action="status", changes=delta)
    events.emit("lead.status_changed", lead=lead, by=by, old_status=before["status"])
    return lead


@transaction.atomic
def lead_trash(*, lead: Lead, by: User) -> Lead:
    """Move a lead to the trash (converted leads stay: deals point to them)."""
    lead = _lock(lead)
    _check_can_edit(by, lead)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"__all__": _("商談化済みの引合は削除できません。")})
    if not lead.is_deleted:
        trash_record(lead, by=by, object_type=LEAD)
    return lead


# Conversion


def _company_data(lead: Lead, owner: User) -> dict[str, Any]:
    return {
        "name": lead.company_name,
        "corporate_number": lead.corporate_number,
        "phone": lead.phone,
        "postal_code": lead.postal_code,
        "prefecture": lead.prefecture,
        "city": lead.city,
        "street": lead.street,
        "website": lead.website,
        "industry": lead.industry_id,
        "owner": owner.pk,
        "team": owner.team_id,
    }


def _contact_data(lead: Lead, owner: User, company: Company) -> dict[str, Any]:
    return {
        "family_name": lead.family_name,
        "given_name": lead.given_name,
        "family_name_kana": lead.family_name_kana,
        "given_name_kana": lead.given_name_kana,
        "company": company,
        "department": lead.department,
        "title": lead.title,
        "email": lead.email,
        "office_phone": lead.phone,
        "owner": owner.pk,
        "team": owner.team_id,
    }


def lead_summary_note(lead: Lead) -> str:
    """The lead as text for the deal's notes: source, need, budget and what the web form sent."""
    lines = [
        _("引合 #%(id)s より（流入経路: %(source)s%(detail)s、受付: %(at)s）")
        % {
            "id": lead.pk,
            "source": lead.get_source_display(),
            "detail": f" / {lead.source_detail}" if lead.source_detail else "",
            "at": timezone.localtime(lead.created_at).strftime("%Y-%m-%d %H:%M"),
        }
    ]
    if lead.need:
        lines += [_("ニーズ・問い合わせ内容:"), lead.need]
    if lead.budget is not None:
        lines.append(_("予算: %(budget)s円") % {"budget": f"{lead.budget:,}"})
    if lead.form_data:
        lines.append(_("フォーム送信内容:"))
        lines += [f"  {key}: {value}" for key, value in lead.form_data.items()]
    return "\n".join(lines)


def _move_history(
    lead: Lead, *, by: User, company: Company, contact: Contact, deal: Deal | None
) -> tuple[int, int]:
    """Re-point the lead's activities and tasks to the deal (when one is made) and the company; audited."""
    moved = 0
    activities = Activity.objects.select_for_update().filter(related_type=LEAD_TYPE, related_id=lead.pk)
    for activity in activities.order_by("id"):
        before = audit.snapshot(activity, ["company", "related_type", "related_id"])
        activity.company = company
        if deal is not None:
            activity.related_type, activity.related_id = DEAL_TYPE, deal.pk
        activity.version += 1
        activity.save(update_fields=["company", "related_type", "related_id", "version", "updated_at"])
        activity.contacts.add(contact)
        delta = audit.diff(before, audit.snapshot(activity, ["company", "related_type", "related_id"]))
        audit.record(activity, by=by, action="update", changes=delta, note=_("引合の商談化で移動"))
        events.emit("activity.updated", activity=activity, by=by, changes=delta)
        moved += 1
    # Open follow-ups (tasks) about the lead follow it too, so nobody's next action is orphaned.
    fields = ["company", "contact", "related_type", "related_id"]
    tasks = 0
    for task in (
        Task.objects.select_for_update().filter(related_type=LEAD_TYPE, related_id=lead.pk).order_by("id")
    ):
        before = audit.snapshot(task, fields)
        task.company, task.contact = company, contact
        if deal is not None:
            task.related_type, task.related_id = DEAL_TYPE, deal.pk
        task.version += 1
        task.save(update_fields=[*fields, "version", "updated_at"])
        delta = audit.diff(before, audit.snapshot(task, fields))
        audit.record(task, by=by, action="update", changes=delta, note=_("引合の商談化で移動"))
        events.emit("task.updated", task=task, by=by, changes=delta)
        tasks += 1
    return moved, tasks


def _moved_note(activities: int, tasks: int) -> str:
    parts = []
    if activities:
        parts.append(_("活動 %(n)s 件を移動") % {"n": activities})
    if tasks:
        parts.append(_("タスク %(n)s 件を移動") % {"n": tasks})
    return "、".join(parts)


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    company: int | None = None,
    contact: int | None = None,
    create_deal: bool = True,
    deal_name: str = "",
    deal_amount: Any = None,
    pipeline: int | None = None,
    seen_version: int | None = None,
) -> Lead:
    """Turn a working or qualified lead into company + contact (+ deal) in one transaction.

    ``company`` / ``contact`` are ids of existing records to use (名寄せ: see
    ``selectors.leads.lead_conversion_candidates``); ``None`` creates them from the lead through the
    customers services. The deal gets the lead's story in its notes; the lead's activities move to
    the deal and the company. Anything refused (permission, validation) leaves every row unchanged.
    """
    from daifuku.sales.services.deals import deal_create

    lead = _lock(lead)
    _check_can_edit(by, lead)
    check_version(lead, seen_version)
    if lead.is_deleted:
        raise ValidationError({"__all__": _("ごみ箱の引合は商談化できません。")})
    if lead.status not in CONVERTIBLE_STATUSES:
        messages = {
            LeadStatus.NEW: _("新規の引合は商談化できません。まず対応中か見込みありにしてください。"),
            LeadStatus.DISQUALIFIED: _("見込みなしの引合は商談化できません。"),
            LeadStatus.CONVERTED: _("この引合はすでに商談化されています。"),
        }
        raise ValidationError({"status": messages.get(LeadStatus(lead.status), _("商談化できません。"))})
    owner = lead.owner or by
    errors: dict[str, str] = {}
    chosen_company = _existing(customer_selectors.company_queryset(user=by), company, "company", errors)
    chosen_contact = _existing(customer_selectors.contact_queryset(user=by), contact, "contact", errors)
    if company in (None, "") and not lead.company_name:
        errors["company"] = _(
            "引合に会社名がありません。既存の取引先を選ぶか、先に会社名を入力してください。"
        )
    if contact in (None, "") and not lead.family_name:
        errors["contact"] = _("引合に氏名がありません。既存の担当者を選ぶか、先に氏名を入力してください。")
    if errors:
        raise ValidationError(errors)
    if chosen_company is None:
        chosen_company = customer_services.company_create(by=by, data=_company_data(lead, owner))
    if chosen_contact is None:
        chosen_contact = customer_services.contact_create(
            by=by, data=_contact_data(lead, owner, chosen_company)
        )
    deal = None
    if create_deal:
        deal_data: dict[str, Any] = {
            "name": (deal_name or "").strip() or chosen_company.display_name,
            "company": chosen_company.pk,
            "contacts": [chosen_contact.pk],
            "owner": owner.pk,
            "notes": lead_summary_note(lead),
        }
        if deal_amount not in (None, ""):
            deal_data["amount"] = deal_amount
        if pipeline not in (None, ""):
            deal_data["pipeline"] = pipeline
        try:
            deal = deal_create(by=by, data=deal_data)
        except ValidationError as exc:
            # The deal service names its own fields; the conversion form calls them deal_*.
            raise ValidationError(
                {_DEAL_FIELD_NAMES.get(name, name): errors for name, errors in exc.message_dict.items()}
            ) from None
    fields = ["status", "converted_at", "converted_company", "converted_contact", "converted_deal"]
    before = audit.snapshot(lead, fields)
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = timezone.now()
    lead.converted_company, lead.converted_contact, lead.converted_deal = chosen_company, chosen_contact, deal
    lead.version += 1
    lead.save(update_fields=[*fields, "version", "updated_at"])
    moved, tasks = _move_history(lead, by=by, company=chosen_company, contact=chosen_contact, deal=deal)
    audit.record(
        lead,
        by=by,
        action="convert",
        changes=audit.diff(before, audit.snapshot(lead, fields)),
        note=_moved_note(moved, tasks),
    )
    events.emit("lead.converted", lead=lead, by=by, company=chosen_company, contact=chosen_contact, deal=deal)
    return lead


_DEAL_FIELD_NAMES = {"name": "deal_name", "amount": "deal_amount"}


def _existing(queryset: Any, raw: Any, field: str, errors: dict[str, str]) -> Any:
    """The record chosen by id among those the user may see, or None (create one); errors by field."""
    if raw in (None, ""):
        return None
    pk = raw.pk if hasattr(raw, "pk") else raw
    found = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        errors[field] = (
            _("指定された取引先が見つかりません。")
            if field == "company"
            else _("指定された担当者が見つかりません。")
        )
    return found


# Assignment rules and web forms (settings)


def _check_rule_admin(by: User) -> None:
    if not is_lead_manager(by):
        raise PermissionDenied(_("割当ルールを変更できるのはマネージャーと管理者です。"))


RULE_FIELDS = [
    "name",
    "sort_order",
    "is_active",
    "prefecture",
    "industry",
    "source",
    "method",
    "team",
    "assignee",
]


def _rule_clean(data: dict[str, Any]) -> dict[str, Any]:
    c = Cleaner(data, RULE_FIELDS)
    out: dict[str, Any] = {}
    if "name" in c:
        out["name"] = c.text("name", required=True, max_length=100)
    if "sort_order" in c:
        out["sort_order"] = c.integer("sort_order", lo=0, hi=100_000, default=0)
    if "is_active" in c:
        out["is_active"] = c.boolean("is_active")
    if "prefecture" in c:
        prefecture = c.text("prefecture")
        if prefecture and prefecture not in customer_selectors.PREFECTURES:
            c.error("prefecture", _("都道府県を選んでください。"))
        out["prefecture"] = prefecture
    if "source" in c:
        out["source"] = c.choice("source", LeadSource.values)
    if "method" in c:
        out["method"] = c.choice("method", AssignmentMethod.values, default=AssignmentMethod.ROUND_ROBIN)
    if "industry" in c:
        raw = c.data.get("industry")
        out["industry"] = None
        if raw not in (None, ""):
            out["industry"] = Industry.objects.filter(pk=raw).first() if str(raw).isdigit() else None
            if out["industry"] is None:
                c.error("industry", _("指定された業種が見つかりません。"))
    if "team" in c:
        raw = c.data.get("team")
        out["team"] = None
        if raw not in (None, ""):
            out["team"] = Team.objects.filter(pk=raw).first() if str(raw).isdigit() else None
            if out["team"] is None:
                c.error("team", _("指定されたチームが見つかりません。"))
    if "assignee" in c:
        out["assignee"] = c.user("assignee")
    c.raise_errors()
    return out


def _rule_check(rule: LeadAssignmentRule) -> None:
    if rule.method == AssignmentMethod.FIXED and rule.assignee_id is None:
        raise ValidationError({"assignee": _("「特定の担当者」では担当者を選んでください。")})
    if rule.method == AssignmentMethod.ROUND_ROBIN and rule.team_id is None:
        raise ValidationError({"team": _("「チーム内で順番に」ではチームを選んでください。")})


@transaction.atomic
def assignment_rule_save(
    *, by: User, data: dict[str, Any], rule: LeadAssignmentRule | None = None
) -> LeadAssignmentRule:
    """Create (``rule=None``) or change an assignment rule (managers and administrators)."""
    _check_rule_admin(by)
    values = _rule_clean(data)
    if rule is None:
        target = LeadAssignmentRule()
        before: dict[str, Any] = {}
    else:
        target = LeadAssignmentRule.objects.select_for_update().get(pk=rule.pk)
        before = audit.snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    if not target.name:
        raise ValidationError({"name": _("入力してください。")})
    _rule_check(target)
    if target.method == AssignmentMethod.FIXED:
        target.team = None
    else:
        target.assignee = None
    delta = audit.diff(before, audit.snapshot(target))
    if rule is not None and not delta:
        return target
    target.save()
    audit.record(target, by=by, action="create" if rule is None else "update", changes=delta)
    return target


@transaction.atomic
def assignment_rule_delete(*, rule: LeadAssignmentRule, by: User) -> None:
    _check_rule_admin(by)
    audit.record(rule, by=by, action="delete", changes=audit.diff(audit.snapshot(rule), {}))
    rule.delete()


WEB_FORM_FIELDS = ["name", "is_active", "source_detail", "allowed_origins", "thank_you_url", "owner"]


def _check_form_admin(by: User) -> None:
    if not by.is_administrator:
        raise PermissionDenied(_("Web引合フォームを管理できるのは管理者です。"))


def normalize_origins(text: str) -> tuple[list[str], list[str]]:
    """``https://example.co.jp`` lines → (origins, bad lines). Paths are dropped, case folded."""
    origins: list[str] = []
    bad: list[str] = []
    for raw in (text or "").splitlines():
        line = raw.strip().rstrip("/")
        if not line:
            continue
        scheme, sep, rest = line.partition("://")
        host = rest.split("/", 1)[0]
        if not sep or scheme.lower() not in ("http", "https") or not host:
            bad.append(line)
            continue
        origin = f"{scheme.lower()}://{host.lower()}"
        if origin not in origins:
            origins.append(origin)
    return origins, bad


@transaction.atomic
def web_form_save(*, by: User, data: dict[str, Any], form: WebLeadForm | None = None) -> WebLeadForm:
    """Create or change a web-to-lead form (administrators). The token is made once and never shown
    to anyone but administrators; reissuing it is :func:`web_form_reissue_token`."""
    _check_form_admin(by)
    c = Cleaner(data, WEB_FORM_FIELDS)
    values: dict[str, Any] = {}
    if "name" in c:
        values["name"] = c.text("name", required=True, max_length=100)
    if "is_active" in c:
        values["is_active"] = c.boolean("is_active")
    if "source_detail" in c:
        values["source_detail"] = c.text("source_detail", max_length=200)
    if "allowed_origins" in c:
        origins, bad = normalize_origins(c.text("allowed_origins"))
        if bad:
            c.error(
                "allowed_origins",
                _("オリジンは「https://example.co.jp」の形で1行に1つ入力してください: %(bad)s")
                % {"bad": ", ".join(bad)},
            )
        values["allowed_origins"] = "\n".join(origins)
    if "thank_you_url" in c:
        url = c.text("thank_you_url")
        if url:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                c.error("thank_you_url", _("URLの形式が正しくありません（例: https://example.co.jp）。"))
        values["thank_you_url"] = url
    if "owner" in c:
        values["owner"] = c.user("owner")
    c.raise_errors()
    if form is None:
        target = WebLeadForm()
        before: dict[str, Any] = {}
    else:
        target = WebLeadForm.objects.select_for_update().get(pk=form.pk)
        before = audit.snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    if not target.name:
        raise ValidationError({"name": _("入力してください。")})
    delta = audit.diff(before, audit.snapshot(target))
    if form is not None and not delta:
        return target
    target.save()
    audit.record(target, by=by, action="create" if form is None else "update", changes=delta)
    return target


@transaction.atomic
def web_form_reissue_token(*, form: WebLeadForm, by: User) -> WebLeadForm:
    """Give the form a new secret URL; pages embedding the old one stop working (e.g. after abuse)."""
    import secrets

    _check_form_admin(by)
    target = WebLeadForm.objects.select_for_update().get(pk=form.pk)
    target.token = secrets.token_urlsafe()
    target.save(update_fields=["token", "updated_at"])
    audit.record(target, by=by, action="reissue", changes={"token": ["***", "***"]})
    return target


def web_lead_submit(
    *, form: WebLeadForm, data: dict[str, Any], extra: dict[str, Any], remote_addr: str | None
) -> Lead:
    """Create the lead a web form sent (source web_form, the form's detail, rules then the form's owner)."""
    values = {**data, "source": LeadSource.WEB_FORM, "source_detail": form.source_detail or form.name}
    owner = None
    if form.owner_id is not None:
        owner = User.objects.filter(pk=form.owner_id, is_active=True).select_related("team").first()
    return lead_create(by=None, data=values, form_data=extra, remote_addr=remote_addr, default_owner=owner)
