"""Company scoping: every lookup by id goes through here so another company's id is a 404."""

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from .errors import NotFound
from .models import Company

M = TypeVar("M", bound=models.Model)


def get_for_company(
    model: type[M],
    company: Company,
    pk: object,
    *,
    label: str | None = None,
    related: tuple[str, ...] = (),
) -> M:
    """The company's `model` with this primary key (its `related` foreign keys read in the
    same query), else NotFound."""
    objects = model._default_manager.all()
    if related:  # select_related() with no names would follow every foreign key
        objects = objects.select_related(*related)
    try:
        return objects.get(company=company, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        name = label or model._meta.verbose_name
        raise NotFound(f"{name} {pk} not found") from None


def get_for_user(model: type[M], user: object, pk: object, *, label: str | None = None) -> M:
    """An object the user owns (their API tokens): anyone else's id is a 404."""
    try:
        return model._default_manager.get(user=user, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        name = label or model._meta.verbose_name
        raise NotFound(f"{name} {pk} not found") from None
