"""Who may do what: roles, named permissions, and the one table that maps them.

A user has one role (`User.role`). A permission is a name such as `stock.count`; the table
`PERMISSION_ROLES` says which roles hold it. Everything that checks access asks this module:

- `permission_require(user, perm)` raises `PermissionDenied` (a `DomainError`, status 403,
  whose message names the missing permission); services and views call it.
- `permission_has(user, perm)` answers True/False (templates use `can`, below, to hide
  buttons the role cannot use).
- `API_OPERATIONS` maps every JSON API operation ("METHOD /path" as in the OpenAPI schema)
  to the permission it needs; the API's token authentication enforces it before the
  operation runs (`core/auth.py`) and the schema shows it (`x-permission`).
- `PAGE_ACTIONS` maps every page (URL name) and method (and, for views that take an
  `action` in the URL, the action) to its permission; `PagePermissionMiddleware` enforces it
  before the view runs and answers 403.

So pages and API answer from the same table. An operation missing from the maps is allowed
for reads (GET) and for owners only otherwise, and the role tests (tests/core/test_roles.py)
fail until it is mapped.

Where the issue was silent: creating products, warehouses, purchase orders and
manufacturing orders, entering and cancelling orders, and channel syncs are manager and up;
clerks create RMAs and transfers (both in their list), receive, count, finish MOs, ship and
export. Every role may read, export, manage their own API tokens and change their own password.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .errors import DomainError


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    CLERK = "clerk", "Clerk"
    VIEWER = "viewer", "Viewer"


class PermissionDenied(DomainError):
    """The user's role does not hold the permission the operation needs."""

    status = 403

    def __init__(self, permission: str, *, role: str | None = None) -> None:
        who = f"the {role} role" if role else "this user"
        super().__init__(f"permission {permission} is required; {who} does not have it")
        self.permission = permission


# Plain strings (an enum member hashes by its name, so "owner" would not be found).
OWNER = frozenset({Role.OWNER.value})
MANAGER_UP = OWNER | {Role.MANAGER.value}
CLERK_UP = MANAGER_UP | {Role.CLERK.value}
EVERYONE = CLERK_UP | {Role.VIEWER.value}

# The one table: permission -> roles that hold it.
PERMISSION_ROLES: dict[str, frozenset[str]] = {
    # Read and export: every role.
    "inventory.view": EVERYONE,
    "exports.create": EVERYONE,
    "account.tokens": EVERYONE,  # the user's own API tokens
    "account.password": EVERYONE,  # the user's own password
    # Clerk's work.
    "stock.count": CLERK_UP,  # set or adjust on hand
    "documents.receive": CLERK_UP,  # receive purchase orders
    "transfers.create": CLERK_UP,
    "returns.manage": CLERK_UP,  # create, receive and restock RMAs
    "manufacturing.finish": CLERK_UP,
    "orders.ship": CLERK_UP,
    "imports.counts": CLERK_UP,  # import on-hand counts from a spreadsheet
    # Manager and up: setup, documents, channels, rules.
    "products.manage": MANAGER_UP,  # create, edit, archive products, kits and BOMs
    "warehouses.manage": MANAGER_UP,
    "purchase_orders.manage": MANAGER_UP,  # create, edit, close
    "manufacturing.create": MANAGER_UP,
    "orders.create": MANAGER_UP,  # import orders through the API, manual orders
    "orders.cancel": MANAGER_UP,
    "channels.sync": MANAGER_UP,  # report channel quantities, run a writeback
    "settings.channels": MANAGER_UP,  # create channels, their warehouses, locations, webhook
    "settings.rules": MANAGER_UP,  # writeback rules
    "imports.setup": MANAGER_UP,  # import products and purchase order lines
    # Owner only.
    "users.manage": OWNER,
    "settings.company": OWNER,
    "audit.view": OWNER,
}

READ = "inventory.view"
# Used for an operation missing from the maps below (owners only, see the module docstring).
UNMAPPED = "unmapped"


def role_of(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", True) or getattr(user, "company_id", None) is None:
        return None
    return getattr(user, "role", None)


def roles_for(perm: str) -> frozenset[str]:
    if perm == UNMAPPED:
        return OWNER
    try:
        return PERMISSION_ROLES[perm]
    except KeyError:
        raise ValueError(f"unknown permission {perm!r}") from None


def permission_has(user: Any, perm: str) -> bool:
    """Whether `user` (a signed-in user of a company) holds `perm`."""
    role = role_of(user)
    return role is not None and role in roles_for(perm)


def permission_require(user: Any, perm: str) -> None:
    """Raise `PermissionDenied` naming `perm` unless `user` holds it."""
    if not permission_has(user, perm):
        raise PermissionDenied(perm, role=role_of(user))


def permissions_of(user: Any) -> frozenset[str]:
    role = role_of(user)
    return frozenset(p for p, roles in PERMISSION_ROLES.items() if role in roles)


class Can:
    """Template helper: `{% if can.stock_count %}` (dots in names written as underscores)."""

    def __init__(self, user: Any) -> None:
        self._held = permissions_of(user)

    def __getitem__(self, name: str) -> bool:
        # "purchase_orders_manage" -> "purchase_orders.manage": try each underscore as the dot.
        if name in self._held:
            return True
        return any(
            f"{name[:i]}.{name[i + 1 :]}" in self._held for i, c in enumerate(name) if c == "_"
        )

    def __contains__(self, name: str) -> bool:
        return self[name]


# The JSON API: "METHOD /path" (paths as in the OpenAPI schema, without /api/v1) -> permission.
API_OPERATIONS: dict[str, str] = {
    "GET /me": READ,
    "POST /me/password": "account.password",
    "POST /tokens": "account.tokens",
    "GET /tokens": "account.tokens",
    "GET /tokens/{token_id}": "account.tokens",
    "DELETE /tokens/{token_id}": "account.tokens",
    "POST /tokens/{token_id}/revoke": "account.tokens",
    "GET /users": "users.manage",
    "POST /users": "users.manage",
    "GET /users/{user_id}": "users.manage",
    "PATCH /users/{user_id}": "users.manage",
    "POST /users/{user_id}/deactivate": "users.manage",
    "GET /company": READ,
    "GET /audit": "audit.view",
    "PATCH /company": "settings.company",
    "POST /warehouses": "warehouses.manage",
    "GET /warehouses/{warehouse_id}": READ,
    "PATCH /warehouses/{warehouse_id}": "warehouses.manage",
    "POST /warehouses/{warehouse_id}/archive": "warehouses.manage",
    "POST /warehouses/{warehouse_id}/unarchive": "warehouses.manage",
    "PATCH /products/{product_id}": "products.manage",
    "PUT /products/{product_id}": "products.manage",
    "POST /products/{product_id}/archive": "products.manage",
    "POST /products/{product_id}/unarchive": "products.manage",
    "PUT /sales-channels/{channel_id}/vendure": "settings.channels",
    "PUT /sales-channels/{channel_id}/shopify": "settings.channels",
    # Shows whether a token is set (its last 4 characters), never the token.
    "GET /sales-channels/{channel_id}/shopify": READ,
    "POST /sales-channels/{channel_id}/sync-run": "channels.sync",
    "GET /sales-channels/{channel_id}/syncs/{sync_id}": READ,
    "GET /sales-channels/{channel_id}/health": READ,
    "POST /sales-channels/{channel_id}/resume": "channels.sync",
    "GET /reports/stock-on-date": READ,
    "GET /reports/stock-on-date/file": "exports.create",
    # Counts need imports.counts; products and PO lines also imports.setup (imports/services.py).
    "POST /imports": "imports.counts",
    "GET /imports": READ,
    "POST /imports/{import_id}/apply": "imports.counts",
    "GET /imports/{import_id}": READ,
    "GET /imports/{import_id}/rejected.csv": READ,
    "GET /warehouses": READ,
    "POST /products": "products.manage",
    "GET /products": READ,
    "GET /products/{product_id}": READ,
    "POST /stock/on-hand": "stock.count",
    "GET /products/{product_id}/log": READ,
    "POST /purchase-orders": "purchase_orders.manage",
    "GET /purchase-orders": READ,
    "GET /purchase-orders/{po_id}": READ,
    "PUT /purchase-orders/{po_id}": "purchase_orders.manage",
    "PATCH /purchase-orders/{po_id}": "purchase_orders.manage",
    "POST /purchase-orders/{po_id}/close": "purchase_orders.manage",
    "POST /purchase-orders/{po_id}/receipts": "documents.receive",
    "GET /purchase-orders/{po_id}/log": READ,
    "POST /transfers": "transfers.create",
    "GET /transfers": READ,
    "GET /transfers/{transfer_id}": READ,
    "GET /transfers/{transfer_id}/log": READ,
    "POST /sales-channels": "settings.channels",
    "GET /sales-channels": READ,
    "GET /sales-channels/{channel_id}": READ,
    "PUT /sales-channels/{channel_id}/writeback": "settings.channels",
    "PUT /sales-channels/{channel_id}/locations": "settings.channels",
    "PUT /sales-channels/{channel_id}/webhook": "settings.channels",
    # The secret signs the channel's webhooks: only who may change the channel may read it.
    "GET /sales-channels/{channel_id}/webhook-secret": "settings.channels",
    "POST /sales-channels/{channel_id}/webhook-secret": "settings.channels",
    "GET /sales-channels/{channel_id}/rules": READ,
    "PUT /sales-channels/{channel_id}/rules": "settings.rules",
    "DELETE /sales-channels/{channel_id}/rules/{product_id}": "settings.rules",
    "POST /sales-channels/{channel_id}/quantities": "channels.sync",
    "POST /sales-channels/{channel_id}/writeback-run": "channels.sync",
    "GET /sales-channels/{channel_id}/syncs": READ,
    "GET /sales-channels/{channel_id}/written": READ,
    "GET /sales-channels/{channel_id}/writeback-preview": READ,
    "POST /orders/bulk": "orders.create",
    "POST /orders": "orders.create",
    "POST /orders/manual": "orders.create",
    "GET /orders": READ,
    "GET /orders/{order_id}": READ,
    "POST /orders/{order_id}/ship": "orders.ship",
    "POST /orders/{order_id}/cancel": "orders.cancel",
    "POST /returns": "returns.manage",
    "GET /returns": READ,
    "GET /returns/{return_id}": READ,
    "POST /returns/{return_id}/receive": "returns.manage",
    "GET /returns/{return_id}/log": READ,
    "POST /manufacturing-orders": "manufacturing.create",
    "GET /manufacturing-orders": READ,
    "GET /manufacturing-orders/{mo_id}": READ,
    "POST /manufacturing-orders/{mo_id}/finish": "manufacturing.finish",
    "POST /exports": "exports.create",
    "GET /exports": READ,
    "GET /exports/{export_id}": READ,
    "GET /exports/{export_id}/csv": READ,
    "GET /exports/{export_id}/file": READ,
}

# Pages: URL name -> {"METHOD" or "METHOD action": permission}; None = no sign-in needed.
# A method not listed for a page is for owners only (the view then answers it, often 405).
PAGE_ACTIONS: dict[str, dict[str, str | None]] = {
    "web:login": {"GET": None, "POST": None},
    "web:logout": {"POST": None},
    "web:home": {"GET": READ},
    "web:product_list": {"GET": READ},
    "web:product_detail": {"GET": READ},
    "web:sku_suggestions": {"GET": READ},
    "web:product_quantities": {"GET": READ},
    "web:product_log": {"GET": READ},
    "web:product_chart": {"GET": READ},
    "web:product_on_hand": {"POST": "stock.count"},
    "web:product_export": {"POST": "exports.create"},
    "web:product_export_form": {"GET": "exports.create"},
    "web:export_list": {"GET": READ},
    "web:export_file": {"GET": READ},
    "web:channel_list": {"GET": READ},
    "web:channel_detail": {"GET": READ},
    "web:channel_action": {
        "POST warehouses": "settings.channels",
        "POST locations": "settings.channels",
        "POST rule": "settings.rules",
        "POST rule-delete": "settings.rules",
        "POST writeback": "channels.sync",
    },
    "web:order_list": {"GET": READ},
    "web:order_detail": {"GET": READ},
    "web:order_action": {"POST ship": "orders.ship", "POST cancel": "orders.cancel"},
    "web:po_list": {"GET": READ},
    "web:po_new": {"GET": "purchase_orders.manage", "POST": "purchase_orders.manage"},
    "web:po_detail": {"GET": READ, "POST": "documents.receive"},
    "web:po_edit": {"GET": "purchase_orders.manage", "POST": "purchase_orders.manage"},
    "web:po_close": {"POST": "purchase_orders.manage"},
    "web:order_new": {"GET": "orders.create", "POST": "orders.create"},
    "web:return_new": {"GET": "returns.manage", "POST": "returns.manage"},
    "web:mo_new": {"GET": "manufacturing.create", "POST": "manufacturing.create"},
    "web:mo_new_check": {"GET": "manufacturing.create"},
    # A blank line of a document form (transfer, PO, RMA, manual order): no data in it.
    "web:line_row": {"GET": READ},
    "web:transfer_list": {"GET": READ},
    "web:transfer_new": {"GET": "transfers.create", "POST": "transfers.create"},
    "web:transfer_line_row": {"GET": "transfers.create"},
    "web:transfer_detail": {"GET": READ},
    "web:return_list": {"GET": READ},
    "web:return_detail": {"GET": READ, "POST": "returns.manage"},
    "web:mo_list": {"GET": READ},
    "web:mo_detail": {"GET": READ, "POST": "manufacturing.finish"},
    "core:tokens": {"GET": "account.tokens", "POST": "account.tokens"},
    "core:token-revoke": {"POST": "account.tokens"},
    "core:people": {"GET": "users.manage", "POST": "users.manage"},
    "core:person": {"POST": "users.manage"},
    "core:password": {"GET": "account.password", "POST": "account.password"},
    "core:company_settings": {"GET": "settings.company", "POST": "settings.company"},
    "core:audit": {"GET": "audit.view"},
    # Signed by the channel, not a user: the signature is checked before anything is read.
    "hook_receive": {"POST": None},
    "web:channel_new": {"GET": "settings.channels", "POST": "settings.channels"},
    "web:import_list": {"GET": READ},
    "web:import_new": {"GET": "imports.counts", "POST": "imports.counts"},
    "web:import_detail": {"GET": READ},
    "web:import_apply": {"POST": "imports.counts"},
    "web:import_rejected": {"GET": READ},
    "web:product_new": {"GET": "products.manage", "POST": "products.manage"},
    "web:product_edit": {"GET": "products.manage", "POST": "products.manage"},
    "web:product_lines": {"GET": "products.manage", "POST": "products.manage"},
    "web:product_line_row": {"GET": "products.manage"},
    "web:product_archive": {"POST": "products.manage"},
    "web:product_unarchive": {"POST": "products.manage"},
    "web:product_delete": {"POST": "products.manage"},
    "web:stock_on_date": {"GET": READ},
    "web:warehouse_list": {"GET": READ, "POST": "warehouses.manage"},
    "web:warehouse_edit": {"GET": "warehouses.manage", "POST": "warehouses.manage"},
    "web:warehouse_archive": {"POST": "warehouses.manage"},
    "web:warehouse_unarchive": {"POST": "warehouses.manage"},
}


def page_permission(
    view_name: str, method: str, action: str | None = None
) -> tuple[bool, str | None]:
    """(known, permission) for a page request; known False for a method the page does not take.

    A page missing from `PAGE_ACTIONS` is readable and writable by owners only (`UNMAPPED`).
    """
    method = "GET" if method == "HEAD" else method
    entry = PAGE_ACTIONS.get(view_name)
    if entry is None:
        return True, (READ if method == "GET" else UNMAPPED)
    if action is not None and f"{method} {action}" in entry:
        return True, entry[f"{method} {action}"]
    if method in entry:
        return True, entry[method]
    if action is not None and any(key.startswith(f"{method} ") for key in entry):
        return True, UNMAPPED  # an unknown action: the view answers 404 to whoever may ask
    return False, None


def api_permission(method: str, path: str) -> str:
    """The permission an API operation needs ("GET", "/products/{product_id}")."""
    return API_OPERATIONS.get(
        f"{method.upper()} {path}", READ if method.upper() == "GET" else UNMAPPED
    )
