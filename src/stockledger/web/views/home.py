from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ..access import company_required


@company_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:product_list")
