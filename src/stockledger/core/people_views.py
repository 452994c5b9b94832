"""People and company settings pages: users and roles (owners), own password, company.

The role check happens before these views run (core/page_access.py, from the permission
table) and again in the services they call.
"""

import functools
import zoneinfo
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from .errors import DomainError
from .models import Company, User
from .permissions import Role
from .requests import CompanyRequest
from .services import (
    company_update,
    password_change,
    user_create,
    user_deactivate,
    user_reactivate,
    user_set_role,
)
from .tenancy import get_for_company
from .views import BASE_TEMPLATES

ROLE_HELP = {
    Role.OWNER: "everything, including people and company settings",
    Role.MANAGER: "everything but people and company settings",
    Role.CLERK: "counts, receipts, transfers, returns, finishing MOs, shipping, exports",
    Role.VIEWER: "read and export only",
}


def _company_user(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with a company (the permission middleware did the role check)."""

    @functools.wraps(view)
    def wrapper(request: CompanyRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.company_id is None:
            raise PermissionDenied("pages are for users of a company")
        request.company = cast(Company, request.user.company)
        return view(request, *args, **kwargs)

    return wrapper


def _add_error(form: forms.Form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class UserForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    password = forms.CharField(
        label="Temporary password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Tell it to the person; they change it under Your password.",
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.CLERK)


class PasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class CompanyForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200)
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="IANA name, e.g. Europe/Berlin: every date the pages show is in it.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )


def _render(
    request: CompanyRequest, template: str, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    context = {"base_template": select_template(BASE_TEMPLATES), **context}
    return TemplateResponse(request, template, context, status=status)


def _people_page(
    request: CompanyRequest, form: UserForm | None = None, status: int = 200
) -> TemplateResponse:
    users = User.objects.filter(company=request.company).order_by("-is_active", "username")
    return _render(
        request,
        "core/people.html",
        {
            "users": users,
            "form": form or UserForm(),
            "roles": Role.choices,
            "role_help": [(label, ROLE_HELP[Role(value)]) for value, label in Role.choices],
        },
        status,
    )


@_company_user
@require_http_methods(["GET", "POST"])
def people(request: CompanyRequest) -> HttpResponse:
    """The company's users; POST adds one with a temporary password and a role."""
    if request.method == "GET":
        return _people_page(request)
    form = UserForm(request.POST)
    if form.is_valid():
        try:
            user = user_create(
                company=request.company,
                actor=request.user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, f"Added {user.username} as {user.get_role_display()}.")
            return redirect("core:people")
    return _people_page(request, form, status=422)


@_company_user
@require_POST
def person(request: CompanyRequest, user_id: int) -> HttpResponse:
    """Change one user's role (`op=role`), deactivate or reactivate them."""
    try:
        user = get_for_company(User, request.company, user_id, label="user")
    except DomainError:
        raise Http404("no such user") from None
    op = request.POST.get("op", "")
    try:
        if op == "role":
            user_set_role(actor=request.user, user=user, role=request.POST.get("role", ""))
            done = f"{user.username} is now {user.get_role_display()}."
        elif op == "deactivate":
            user_deactivate(actor=request.user, user=user)
            done = f"{user.username} is deactivated; their log rows keep their name."
        elif op == "reactivate":
            user_reactivate(actor=request.user, user=user)
            done = f"{user.username} can sign in again (with new API tokens)."
        else:
            raise Http404("no such action")
    except DomainError as exc:
        messages.error(request, f"{user.username}: {exc.message}")
        response = _people_page(request, status=exc.status)
        return response
    messages.success(request, done)
    return redirect("core:people")


@_company_user
@require_http_methods(["GET", "POST"])
def password(request: CompanyRequest) -> HttpResponse:
    """The signed-in user changes their own password (any role)."""
    form = PasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            _add_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in here
            messages.success(request, "Your password is changed.")
            return redirect("core:password")
    status = 422 if request.method == "POST" else 200
    return _render(request, "core/password.html", {"form": form}, status)


@_company_user
@require_http_methods(["GET", "POST"])
def company_settings(request: CompanyRequest) -> HttpResponse:
    """The company's name and time zone (owners)."""
    company = request.company
    if request.method == "POST":
        form = CompanyForm(request.POST)
        if form.is_valid():
            try:
                company_update(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    time_zone=form.cleaned_data["time_zone"],
                )
            except DomainError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, "Company settings saved.")
                return redirect("core:company_settings")
        status = 422
    else:
        form = CompanyForm(initial={"name": company.name, "time_zone": company.time_zone})
        status = 200
    zones = sorted(zoneinfo.available_timezones())
    return _render(request, "core/company.html", {"form": form, "zones": zones}, status)
