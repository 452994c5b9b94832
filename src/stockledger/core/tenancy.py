"""Company scoping: every lookup by id goes through here so another company's id is a 404."""

from functools import cache
from typing import Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, connections, models, router
from django.db.models.manager import BaseManager

from .errors import NotFound
from .models import Company
from .rows import model_from_row, select_list

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
    same query), else NotFound.

    Without `related`, and when the model's default manager filters nothing, one fixed query
    built once per model instead of an ORM query built per call: a page's own object, read on
    every request, in 0.06 ms instead of 0.28 (SQLite; issue 15)."""
    if not related and _plainly_by_id(model):
        found = _by_id(model, company.pk, pk)
        if found is None:
            raise NotFound(f"{label or model._meta.verbose_name} {pk} not found")
        return found
    objects = model._default_manager.all()
    if related:  # select_related() with no names would follow every foreign key
        objects = objects.select_related(*related)
    try:
        return objects.get(company=company, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        name = label or model._meta.verbose_name
        raise NotFound(f"{name} {pk} not found") from None


_ID_RANGE = range(-(2**63), 2**63)  # what a 64-bit id column can hold


@cache
def _plainly_by_id(model: type[models.Model]) -> bool:
    """Whether the fixed query finds what the ORM would: an integer primary key, and a default
    manager and queryset that filter nothing."""
    manager = model._default_manager
    return (
        isinstance(model._meta.pk, models.IntegerField)
        and type(manager).get_queryset is BaseManager.get_queryset
        and getattr(manager, "_queryset_class", None) is models.QuerySet
    )


def _by_id(model: type[M], company_id: Any, pk: object) -> M | None:
    pk_field = model._meta.pk
    try:
        key = pk_field.to_python(pk)
    except ValidationError:
        return None
    if key is None or (isinstance(key, int) and key not in _ID_RANGE):
        return None  # (the ORM's look-up finds nothing for such an id either)
    db = connections[router.db_for_read(model)]
    with db.cursor() as cursor:
        cursor.execute(_by_id_sql(model), [key, company_id])
        row = cursor.fetchone()
    return None if row is None else model_from_row(model, row, using=db.alias)


@cache
def _by_id_sql(model: type[models.Model]) -> str:
    qn = connection.ops.quote_name
    meta = model._meta
    pk_column = cast(str, meta.pk.column)
    company_column = cast(str, cast(models.Field[Any, Any], meta.get_field("company")).column)
    return (
        f"SELECT {', '.join(select_list(model, 't'))} FROM {qn(meta.db_table)} t "
        f"WHERE t.{qn(pk_column)} = %s AND t.{qn(company_column)} = %s"
    )


def get_for_user(model: type[M], user: object, pk: object, *, label: str | None = None) -> M:
    """An object the user owns (their API tokens): anyone else's id is a 404."""
    try:
        return model._default_manager.get(user=user, pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        name = label or model._meta.verbose_name
        raise NotFound(f"{name} {pk} not found") from None
