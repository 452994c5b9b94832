"""The audit list page: /settings/audit/ (owners)."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.template.loader import select_template
from django.template.response import TemplateResponse

from .audit import audit_entries
from .models import Company
from .requests import CompanyRequest
from .views import BASE_TEMPLATES

PAGE_SIZE = 100


@login_required
def audit_list(request: CompanyRequest) -> HttpResponse:
    if request.user.company_id is None:
        raise Http404("no company")
    entries = audit_entries(company=cast(Company, request.user.company))
    before = request.GET.get("before", "")
    if before.isascii() and before.isdigit() and len(before) < 19:
        entries = entries.filter(id__lt=int(before))
    rows = list(entries[: PAGE_SIZE + 1])
    older = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    context = {
        "base_template": select_template(BASE_TEMPLATES),
        "entries": rows[:PAGE_SIZE],
        "older": older,
    }
    return TemplateResponse(request, "core/audit.html", context)
