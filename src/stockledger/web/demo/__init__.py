"""`stockledger demo`: a demo company whose 90-day history went through the real services.

Nothing here writes stock or log rows itself: every change goes through the services
(`stock_set`, `stock_adjust`, and the document services), back-dated with their `created_at`,
so the demo log is what a real company's log would be and `stockledger verify` passes on it.
The random generator is seeded: every demo tells the same story.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from stockledger.core.models import Company, User
from stockledger.core.services import company_create

from .data import COMPANY_NAME, DAYS, USERNAME
from .history import Demo, build_catalog, run_history


def demo_exists() -> bool:
    return User.objects.filter(username=USERNAME, company__name=COMPANY_NAME).exists()


def login_file() -> Path:
    return Path(settings.STOCKLEDGER_HOME) / "demo-login.txt"


def _first_exports(demo: Demo) -> None:
    """Two exports for Activity -> Exports; the worker beside `stockledger serve` runs them."""
    from stockledger.exports.services import export_create

    for sku, components in (("MUG-ENM-12-BLK", False), ("KIT-CAMP-KITCHEN", True)):
        export_create(
            company=demo.company,
            user=demo.user,
            product_id=demo.products[sku].id,
            include_components=components,
        )


def build_demo(*, now: datetime | None = None, seed: int = 7) -> tuple[Company, str]:
    """Create the demo company and its history; write and return the login line."""
    password = secrets.token_urlsafe(9)
    company, user, _token = company_create(name=COMPANY_NAME, username=USERNAME, password=password)
    now = now or timezone.now()
    start = (now - timedelta(days=DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    demo = Demo(company=company, user=user, rng=random.Random(seed), start=start, now=now)
    build_catalog(demo)
    run_history(demo)
    _first_exports(demo)
    login = f"Demo login: user {USERNAME}, password {password} (company {COMPANY_NAME!r})"
    if demo.logins:
        others = ", ".join(f"{role} {name} / {secret}" for role, name, secret in demo.logins)
        login += f"\nOther roles (role user / password): {others}"
    path = login_file()
    path.write_text(login + "\n")
    path.chmod(0o600)
    return company, login
