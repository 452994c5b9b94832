from django.http import HttpResponse
from django.shortcuts import redirect

from ..access import CompanyRequest, company_required


@company_required
def home(request: CompanyRequest) -> HttpResponse:
    return redirect("web:product_list")
