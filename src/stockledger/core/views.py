"""Settings pages of the core app: the signed-in user's API tokens."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from .errors import DomainError
from .models import ApiToken
from .requests import CompanyRequest
from .services import token_create, token_revoke
from .tenancy import get_for_user

# The site's layout when the web app provides one; a plain page otherwise.
BASE_TEMPLATES = ["web/base.html", "core/standalone.html"]


def _page(
    request: CompanyRequest,
    *,
    new_token: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> TemplateResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-id")
    context = {
        "base_template": select_template(BASE_TEMPLATES),
        "tokens": tokens,
        "new_token": new_token,
        "error": error,
    }
    return TemplateResponse(request, "core/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: CompanyRequest) -> HttpResponse:
    """List the user's tokens; POST creates one and shows its raw value this once."""
    if request.method == "GET":
        return _page(request)
    name = (request.POST.get("name") or "").strip()
    if not name or len(name) > 100:
        return _page(request, error="Give the token a name (up to 100 characters).", status=422)
    _, raw = token_create(user=request.user, name=name)
    response = _page(request, new_token=raw, status=201)
    response["Cache-Control"] = "no-store"  # the raw token must not linger in caches
    return response


@login_required
@require_POST
def token_revoke_view(request: CompanyRequest, token_id: int) -> HttpResponse:
    try:
        token = get_for_user(ApiToken, request.user, token_id, label="API token")
    except DomainError as exc:
        return _page(request, error=exc.message, status=exc.status)
    token_revoke(token=token)
    return redirect("core:tokens")
