"""Sign-in throttling: how long a locked-out username or client address waits.

django-axes counts failed sign-ins on every login form (ours and the admin's) and calls
`cool_off` for the lock-out's length. It doubles with each failure past the limit, so a
guesser's rate falls off quickly while a person who mistyped a few times waits a minute.
"""

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest

FIRST_COOL_OFF = timedelta(minutes=1)
LONGEST_COOL_OFF = timedelta(hours=1)


def cool_off(request: HttpRequest | None) -> timedelta:
    """1 minute at the limit, doubling per further failure, at most an hour."""
    beyond = max(0, _failures_of(request) - int(settings.AXES_FAILURE_LIMIT))
    pause: timedelta = FIRST_COOL_OFF * (2**beyond)
    return min(pause, LONGEST_COOL_OFF)


def _failures_of(request: HttpRequest | None) -> int:
    """The most failures recorded for this request's username or address."""
    if request is None:
        return 0
    from axes.models import AccessAttempt
    from django.db.models import Max, Q

    username = (request.POST.get("username") or "").strip() if request.method == "POST" else ""
    address = request.META.get("REMOTE_ADDR", "")
    match = Q(ip_address=address)
    if username:
        match |= Q(username=username)
    found = AccessAttempt.objects.filter(match).aggregate(most=Max("failures_since_start"))
    return found["most"] or 0
