"""Pages for imports (upload → mapping & preview → progress → errors / undo), exports and 名寄せ."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from daifuku.core.middleware import client_ip
from daifuku.customers import merge as merging
from daifuku.customers import selectors as customer_selectors
from daifuku.customers.forms import CompanyFilterForm, ContactFilterForm
from daifuku.imports import exports, selectors, services
from daifuku.imports.forms import MappingForm, UploadForm


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for ms in exc.message_dict.values() for m in ms)
    return " ".join(exc.messages)


def _chunks(upload: Any) -> Any:
    yield from upload.chunks()


@login_required
@require_http_methods(["GET", "POST"])
def job_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.job_create(
                by=request.user,
                target=form.cleaned_data["target"],
                name=upload.name,
                chunks=_chunks(upload),
                encoding=form.cleaned_data["encoding"],
                delimiter=form.cleaned_data["delimiter"],
                sheet=form.cleaned_data["sheet"],
            )
        except ValidationError as exc:
            form.add_error(None, _errors_text(exc))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("imports:job_mapping", pk=job.pk)
    page = Paginator(selectors.job_list(user=request.user), 20).get_page(request.GET.get("page"))
    status = 422 if request.method == "POST" else 200
    return render(request, "imports/job_list.html", {"form": form, "page": page}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    if job.status != "draft":
        return redirect(job)
    mapping_id = request.GET.get("mapping", "")
    if mapping_id.isdigit():
        mapping = selectors.mapping_list(target=job.target).filter(pk=mapping_id).first()
        if mapping is not None:
            job.columns = services.mapping_apply(job=job, mapping=mapping)
            job.values = mapping.values
    form = MappingForm(request.POST or None, job=job)
    context: dict[str, Any] = {
        "job": job,
        "form": form,
        "mappings": selectors.mapping_list(target=job.target),
        "samples": _samples(job),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.job_configure(
                job=job,
                by=request.user,
                columns=form.columns(),
                values=form.values(),
                dedup=form.cleaned_data["dedup"],
                save_mapping_as=form.cleaned_data["save_as"] if request.POST.get("action") == "start" else "",
            )
            if request.POST.get("action") == "start":
                services.job_start(job=job, by=request.user)
                return redirect(job)
            context["preview"] = services.job_preview(job=job, by=request.user)
        except ValidationError as exc:
            form.add_error(None, _errors_text(exc))
        if request.headers.get("HX-Request") == "true":
            return render(request, "imports/_preview.html", context)
    return render(request, "imports/job_mapping.html", context)


def _samples(job: Any) -> list[str]:
    """The first data row's cells, shown beside each column to help mapping."""
    from itertools import islice
    from pathlib import Path

    from daifuku.imports import sources

    options = sources.SourceOptions(job.file_format, job.encoding, job.delimiter, job.sheet)
    rows = list(islice(sources.read_rows(Path(job.file_path), options), 2))
    first = rows[1] if len(rows) > 1 else []
    return [first[i] if i < len(first) else "" for i in range(len(job.headers))]


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    return render(request, "imports/job_detail.html", {"job": job})


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    response = render(request, "imports/_progress.html", {"job": job})
    if not job.is_active:
        response["HX-Trigger"] = "import-finished"
    return response


@login_required
@require_GET
def job_errors(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if job.file_format == "xlsx"
        else f"text/csv; charset={'shift_jis' if job.encoding == 'cp932' else 'utf-8'}"
    )
    response = StreamingHttpResponse(exports.error_file_chunks(job), content_type=content_type)
    response["Content-Disposition"] = _attachment(services.error_file_name(job))
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode()
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@login_required
@require_POST
def job_undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        services.job_undo(job=job, by=request.user)
        messages.success(request, _("取込を取り消しました。"))
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    return redirect(job)


@login_required
@require_POST
def job_resume(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        services.job_start(job=job, by=request.user)
    except ValidationError as exc:
        messages.error(request, _errors_text(exc))
    return redirect(job)


# Exports


def _export(request: HttpRequest, target: str) -> StreamingHttpResponse:
    user = request.user
    if target == "companies":
        form: Any = CompanyFilterForm(request.GET)
        queryset = customer_selectors.company_list(user=user, filters=form.filters(), sort=form.sort_key())
    else:
        form = ContactFilterForm(request.GET)
        queryset = customer_selectors.contact_list(user=user, filters=form.filters(), sort=form.sort_key())
    filters = {k: v for k, v in request.GET.items() if v and k not in ("format", "page")}
    export = exports.export_list(
        user=user,
        target=target,
        queryset=queryset,
        file_format=request.GET.get("format", "csv"),
        filters=filters,
        ip_address=client_ip(request),
    )
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = _attachment(export.filename)
    return response


@login_required
@require_GET
def export_companies(request: HttpRequest) -> StreamingHttpResponse:
    return _export(request, "companies")


@login_required
@require_GET
def export_contacts(request: HttpRequest) -> StreamingHttpResponse:
    return _export(request, "contacts")


@login_required
@require_GET
def export_log(request: HttpRequest) -> HttpResponse:
    if not request.user.is_administrator:
        raise PermissionDenied
    page = Paginator(selectors.export_log_list(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "imports/export_log.html", {"page": page})


# 名寄せ


def _object_type(value: str) -> str:
    if value not in ("company", "contact"):
        raise Http404
    return value


@login_required
@require_GET
def duplicates(request: HttpRequest, object_type: str) -> HttpResponse:
    object_type = _object_type(object_type)
    groups = merging.find_duplicates(user=request.user, object_type=object_type)
    merges = selectors.merge_list(user=request.user, object_type=object_type)[:20]
    return render(
        request,
        "imports/duplicates.html",
        {"object_type": object_type, "groups": groups, "merges": merges},
    )


def _get(user: Any, object_type: str, pk: Any) -> Any:
    if object_type == "company":
        return customer_selectors.company_get(user=user, pk=pk)
    return customer_selectors.contact_get(user=user, pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def merge_view(request: HttpRequest, object_type: str, survivor: int, merged: int) -> HttpResponse:
    object_type = _object_type(object_type)
    a = _get(request.user, object_type, survivor)
    b = _get(request.user, object_type, merged)
    fields = merging.mergeable_fields(object_type)
    if request.method == "POST":
        values = {f.name: request.POST.get(f"field_{f.name}", "survivor") for f in fields}
        try:
            kept = merging.merge(
                object_type=object_type, survivor=a, merged=b, by=request.user, values=values
            )
        except ValidationError as exc:
            messages.error(request, _errors_text(exc))
        except PermissionDenied:
            messages.error(request, _("統合する権限がありません。"))
        else:
            messages.success(request, _("統合しました。"))
            return redirect(kept)
    rows = []
    for f in fields:
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if (va in (None, "", {}) and vb in (None, "", {})) or f.name in ("legal_form_position",):
            continue
        choose_b = va in (None, "", {}) and vb not in (None, "", {})
        rows.append(
            {
                "name": f.name,
                "label": f.verbose_name,
                "a": va,
                "b": vb,
                "choose_b": choose_b,
                "same": va == vb,
            }
        )
    return render(request, "imports/merge.html", {"object_type": object_type, "a": a, "b": b, "rows": rows})


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.merge_get(user=request.user, pk=pk)
    try:
        merging.merge_undo(record=record, by=request.user)
        messages.success(request, _("統合を取り消しました。"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors_text(exc) if isinstance(exc, ValidationError) else str(exc))
    return redirect("imports:duplicates", object_type=record.object_type)


@login_required
@require_GET
def resolve(request: HttpRequest, object_type: str, pk: int) -> HttpResponse:
    """An old link to a merged record: go to the record it was merged into."""
    object_type = _object_type(object_type)
    target = merging.survivor_pk(object_type, pk) or pk
    record = _get(request.user, object_type, target)
    return redirect(record)
