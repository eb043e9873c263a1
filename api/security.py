"""Who is asking: staff sessions, API keys, roles, CSRF tokens and rate limits.

- A staff session is a signed cookie (Starlette's ``SessionMiddleware``,
  itsdangerous): HttpOnly, SameSite=Lax, Secure when the public address is
  https, 8 hours after the last request, 12 hours after login at most. It
  holds the account id, the login time and the CSRF token; the account is
  read again on every request, so a disabled account is out at once.
- Scripts send an API key (``Authorization: Bearer wf_...`` or ``X-API-Key``):
  no cookie, so no CSRF token needed.
- Every form carries the session's CSRF token; the staff API called with a
  session cookie needs it in ``X-CSRF-Token``.
- Rate limits: wrong passwords are counted in the database, before the
  password is checked, for every replica alike (``core/attempts.py``);
  companion page requests per link and per address with the ``limits``
  library, moving windows in memory, per process.
- The client's address is the connection's, or the one a trusted proxy names in
  ``X-Forwarded-For`` (``WAYFINDING_TRUSTED_PROXIES``, given to uvicorn): a
  header sent by anyone else is ignored.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItem, parse, storage, strategies
from starlette.concurrency import run_in_threadpool

from api.deps import accounts_of
from api.errors import ApiError
from core.accounts import StaffUser

SESSION_COOKIE = "wf_staff"
SESSION_IDLE_S = 8 * 3600
SESSION_MAX_S = 12 * 3600


class LoginRequired(Exception):  # noqa: N818 - reads as what happened
    """No staff session: the pages redirect to the login page, the API answers 401."""


class RateLimits:
    """Moving-window limits by name: ``hit`` counts one, ``allowed`` tests without counting."""

    def __init__(self, rates: dict[str, str]) -> None:
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._items: dict[str, RateLimitItem] = {name: parse(rate) for name, rate in rates.items()}

    def allowed(self, name: str, *keys: str) -> bool:
        return self._limiter.test(self._items[name], *keys)

    def hit(self, name: str, *keys: str) -> bool:
        """Count one request; False when the limit was already reached."""
        return self._limiter.hit(self._items[name], *keys)

    def retry_after(self, name: str, *keys: str) -> int:
        reset, _remaining = self._limiter.get_window_stats(self._items[name], *keys)
        return max(1, int(reset - time.time()) + 1)


def limits_of(request: Request) -> RateLimits:
    """The process's rate limits (``create_app`` sets them from the settings)."""
    limits: RateLimits = request.app.state.limits
    return limits


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise ApiError(
            403,
            "This form has expired or was not sent by this site: reload the page and try again.",
            reason="csrf",
        )


def _api_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def staff_or_none(request: Request) -> StaffUser | None:
    """The staff member behind the request (API key or session), or None."""
    cached: StaffUser | None = getattr(request.state, "staff", None)
    if cached is not None:
        return cached
    accounts = accounts_of(request)
    key = _api_key(request)
    user: StaffUser | None = None
    if key:
        user = await run_in_threadpool(accounts.by_api_key, key)
        if user is None:
            raise ApiError(401, "This API key is not valid (revoked, or mistyped).", reason="api-key")
        request.state.via_key = True
    else:
        uid = request.session.get("uid")
        at = request.session.get("at")
        if isinstance(uid, int) and isinstance(at, (int, float)) and time.time() - at < SESSION_MAX_S:
            user = await run_in_threadpool(accounts.get, uid)
            # Disabled, or a new password since this session signed in: the session has ended.
            if user is not None and (not user.active or request.session.get("ep", 0) != user.epoch):
                user = None
        if user is None and uid is not None:
            for key in ("uid", "at", "ep"):
                request.session.pop(key, None)
    request.state.staff = user
    return user


#: Declares the API key in the OpenAPI schema ("Authorize" in /api/docs); the check itself is
#: staff_or_none's, which also accepts a session cookie.
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="API key",
    description="An API key made with `wayfinding user key NAME`, or sign in on /staff/login",
)
Documented = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require(role: str) -> Callable[..., Awaitable[StaffUser]]:
    """A dependency: the staff member, who must hold *role* (401 or login page, else 403)."""

    async def dependency(request: Request, _key: Documented = None) -> StaffUser:
        user = await staff_or_none(request)
        if user is None:
            raise LoginRequired()
        if not user.can(role):
            raise ApiError(
                403,
                f"Your account ({user.name}) does not have the {role!r} role: ask an administrator.",
                reason="role",
            )
        # The staff API called from a page: the CSRF token comes in a header. Forms check
        # their own field (check_csrf) before anything is changed.
        if (
            request.method not in ("GET", "HEAD")
            and not getattr(request.state, "via_key", False)
            and request.url.path.startswith("/api/")
        ):
            check_csrf(request, request.headers.get("x-csrf-token"))
        return user

    return dependency


async def any_staff(request: Request, _key: Documented = None) -> StaffUser:
    user = await staff_or_none(request)
    if user is None:
        raise LoginRequired()
    return user


CareStaff = Annotated[StaffUser, Depends(require("care"))]
AdminStaff = Annotated[StaffUser, Depends(require("admin"))]
FacilitiesStaff = Annotated[StaffUser, Depends(require("facilities"))]
AnyStaff = Annotated[StaffUser, Depends(any_staff)]


_TOKEN_IN_PATH = re.compile(r"(/c/|/api/v1/companion/)[^/?\s]+")


class RedactCompanionTokens(logging.Filter):
    """Access logs keep no companion token: ``GET /c/…/events`` (the store keeps only the
    token's hash; a log file must not undo that)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _TOKEN_IN_PATH.sub(r"\1…", record.msg)
        return True


def redact_access_logs() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactCompanionTokens) for f in access.filters):
        access.addFilter(RedactCompanionTokens())
