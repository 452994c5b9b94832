"""Activity -> Imports: upload a spreadsheet, read its preview, confirm, follow it live."""

from django import forms
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from stockledger.core.errors import DomainError
from stockledger.imports.checks import LAYOUTS
from stockledger.imports.models import Import, ImportKind, ImportStatus, RowAction
from stockledger.imports.selectors import import_errors, imports_for_company, rejected_rows_csv
from stockledger.imports.services import earlier_import, import_confirm, import_upload
from stockledger.imports.storage import read_progress

from ..access import CompanyRequest, company_object_or_404, company_required, is_htmx
from ..forms import add_domain_error

PAGE_SIZE = 50
ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, label="What the file holds")
    file = forms.FileField(label="Spreadsheet (CSV or XLSX)")


def _layouts() -> list[tuple[str, list[tuple[str, bool]]]]:
    return [
        (ImportKind(kind).label, [(c.key, c.required) for c in columns])
        for kind, columns in LAYOUTS.items()
    ]


@company_required
def import_list(request: CompanyRequest) -> HttpResponse:
    """The company's imports, newest first, and the upload form; polls while any runs."""
    return _list(request, ImportForm(initial={"kind": request.GET.get("kind", "")}))


def _list(request: CompanyRequest, form: ImportForm, status: int = 200) -> HttpResponse:
    rows = list(imports_for_company(company=request.company)[:PAGE_SIZE])
    context = {
        "form": form,
        "rows": rows,
        "polling": any(job.is_active for job in rows),
        "layouts": _layouts(),
        "max_mb": settings.STOCKLEDGER_IMPORT_MAX_BYTES // (1024 * 1024),
    }
    if is_htmx(request) and request.GET.get("partial"):
        return render(request, "web/imports/_table.html", context)
    return render(request, "web/imports/list.html", context, status=status)


@require_POST
@company_required
def import_new(request: CompanyRequest) -> HttpResponse:
    """Store and check an uploaded file, then show its preview."""
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = import_upload(
                company=request.company,
                user=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("web:import_detail", import_id=job.id)
    return _list(request, form, status=422)


def _detail_context(request: CompanyRequest, job: Import) -> dict:
    errors = (
        import_errors(job, limit=ERRORS_SHOWN) if job.rows_bad or job.status == "failed" else []
    )
    progress = read_progress(job.id) if job.status == ImportStatus.RUNNING else None
    good = job.good_rows
    earlier = None
    if job.status == ImportStatus.READY:
        earlier = earlier_import(
            company=request.company, sha256=job.sha256, kind=job.kind, exclude=job.id
        )
    return {
        "job": job,
        "errors": errors,
        "errors_more": max(0, len(errors) and _error_count(job) - len(errors)),
        "actions": [(RowAction(a).label, n) for a, n in sorted(job.actions.items())],
        "progress": progress,
        "percent": int(100 * (progress or 0) / good) if good else 0,
        "earlier": earlier,
        "polling": job.is_active,
    }


def _error_count(job: Import) -> int:
    from stockledger.imports.models import ImportRowError

    return ImportRowError.objects.filter(job=job).count()


@company_required
def import_detail(request: CompanyRequest, import_id: int) -> HttpResponse:
    """One import: its preview (what each row will do, every bad row), then its progress
    and outcome. The status part polls itself while the import is checked or applied."""
    job = company_object_or_404(Import, request, import_id)
    context = _detail_context(request, job)
    if is_htmx(request) and request.GET.get("partial"):
        return render(request, "web/imports/_status.html", context)
    return render(request, "web/imports/detail.html", context)


@require_POST
@company_required
def import_apply(request: CompanyRequest, import_id: int) -> HttpResponse:
    """Confirm: apply the import in the background (a repeated file needs `again`)."""
    job = company_object_or_404(Import, request, import_id)
    try:
        import_confirm(
            company=request.company,
            user=request.user,
            import_id=job.id,
            again=request.POST.get("again") == "on",
        )
    except DomainError as exc:
        job.refresh_from_db()
        context = _detail_context(request, job)
        context["apply_error"] = exc.message
        return render(request, "web/imports/detail.html", context, status=409)
    return redirect("web:import_detail", import_id=job.id)


@company_required
def import_rejected(request: CompanyRequest, import_id: int) -> StreamingHttpResponse:
    """The import's bad rows as CSV (row, column, error, then the row as read)."""
    job = company_object_or_404(Import, request, import_id)
    response = StreamingHttpResponse(rejected_rows_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.id}-rejected-rows.csv"'
    return response
