"""Login throttling with django-axes: per account and address, and per address (settings.py).

The check runs before the password is hashed (``LoginThrottleBackend`` comes first among the
authentication backends): a locked-out attempt costs a few queries, not an Argon2 hash, so a burst of
wrong passwords cannot take the server's time from the other users. API tokens are not passwords and
are not throttled here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses the login of a locked-out account or address before any password is hashed.

    Only logins of a web request are throttled (the login page, the admin's): ``authenticate()`` called
    by code without a request (Django's test client, a shell) is let through to the next backend."""

    def authenticate(  # type: ignore[no-untyped-def]
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def _failures(attempts: QuerySet[Any]) -> int:
    total: int | None = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


class ThrottleHandler(AxesDatabaseHandler):
    """Two limits where axes has one: AXES_FAILURE_LIMIT for an account from one address, and the higher
    JALON_ADDRESS_FAILURE_LIMIT for an address whatever the accounts it tries (AXES_LOCKOUT_PARAMETERS
    lists these two, in this order)."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_account, by_address = (_failures(q) for q in self.get_user_attempts(request, credentials))
        if by_address >= settings.JALON_ADDRESS_FAILURE_LIMIT:
            # The address used up its own allowance: it counts as the account limit reached.
            limit: int = settings.AXES_FAILURE_LIMIT
            return max(by_account, limit)
        return by_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # A successful login clears that account's failures from this address only: logging in to one's
        # own account must not wipe the count of an address trying many others.
        by_account: QuerySet[Any] = self.filter_user_attempts(request, credentials)[0]
        count, _ = by_account.delete()
        return count

    def unlock_time(self, request: HttpRequest, credentials: dict[str, Any] | None) -> datetime | None:
        """When the cool-off of the latest recorded failure of this account or address ends."""
        cool_off = get_cool_off(request)
        attempts = self.get_user_attempts(request, credentials)
        times = [t for q in attempts if (t := q.aggregate(t=Max("attempt_time"))["t"]) is not None]
        return max(times) + cool_off if times and cool_off is not None else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a locked-out login gets (429): until when, and that an administrator can unlock."""
    until = ThrottleHandler().unlock_time(request, credentials)
    minutes = None
    if until is not None:
        minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
    return render(
        request,
        "pages/lockout.html",
        {"until": None if until is None else timezone.localtime(until), "minutes": minutes},
        status=429,  # Too Many Requests
    )


def client_address(request: HttpRequest) -> str | None:
    """The client's address: the connection's, or behind JALON_PROXY_COUNT reverse proxies the one the
    outermost of them saw (X-Forwarded-For, counted from the right: a client may add entries on the left,
    never on the right)."""
    proxies: int = settings.JALON_PROXY_COUNT
    remote: str | None = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
