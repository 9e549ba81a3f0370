"""API keys with scopes, as FastAPI security dependencies.

=========  =================================================================================
scope      routes
=========  =================================================================================
``search`` ``POST /search``, ``POST /search/image``, ``GET /products/{id}``
``write``  ``POST /products``, ``DELETE /products/{id}`` (at most ``api_write_concurrency``
           requests in flight per key; more are answered 429 with ``Retry-After``)
``admin``  the details of ``GET /health`` (anonymous callers get the status only)
=========  =================================================================================

Scopes are independent: a key holds exactly the scopes listed for it (an all-powerful key lists
all three). A caller sends ``Authorization: ApiKey <key>`` or ``Authorization: Bearer <key>``.
No key, a malformed header or an unknown key is a 401 with ``WWW-Authenticate``; a known key
without the route's scope is a 403. ``api_anonymous_search`` gives callers without a key the
``search`` scope (shops often expose search publicly); nothing opens writes or admin to them.

Keys are configured as SHA-256 digests only (``hybrid apikey mint`` makes a key and prints its
line): keys are 256-bit random tokens, so a fast unsalted hash is enough - a slow password hash
would protect low-entropy secrets, which these are not. The digest of a presented key is
compared with *every* configured digest by :func:`hmac.compare_digest`, without stopping at a
match, so the time taken tells nothing about which digest, or how much of one, matched. Keys
never reach a log: only their configured ``id`` does.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer, SecurityScopes
from starlette.exceptions import HTTPException

from hybrid.settings import ApiKeyHash, ApiScope, Settings

logger = logging.getLogger(__name__)

#: The ``Authorization`` schemes accepted (compared case-insensitively, as RFC 9110 says).
SCHEMES: Final = ("apikey", "bearer")
#: Longest key accepted; longer headers are refused before hashing.
MAX_KEY_LENGTH: Final = 256
KEY_PREFIX: Final = "hyb_"
CHALLENGE: Final = 'ApiKey realm="hybrid-search", Bearer realm="hybrid-search"'
#: Seconds a caller over its write cap is asked to wait.
RETRY_AFTER_SECONDS: Final = 1

# Declared for OpenAPI only (components.securitySchemes); the header is parsed below.
_APIKEY_SCHEME = APIKeyHeader(
    name="Authorization",
    scheme_name="ApiKey",
    description="`Authorization: ApiKey <key>`; keys come from `hybrid apikey mint`.",
    auto_error=False,
)
_BEARER_SCHEME = HTTPBearer(
    scheme_name="Bearer",
    description="`Authorization: Bearer <key>` (the same keys).",
    auto_error=False,
)


def hash_key(key: str) -> str:
    """The hex SHA-256 of ``key``, as configured in ``api_keys``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def mint_key() -> str:
    """A new random key: ``hyb_`` and 43 URL-safe characters (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def parse_authorization(header: str | None) -> str | None:
    """The key in an ``Authorization`` header; None when there is no header.

    Raises:
        HTTPException: 401 for another scheme, no key, or a key that cannot be one.
    """
    if header is None:
        return None
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() not in SCHEMES:
        raise unauthorized("the Authorization header must be 'ApiKey <key>' or 'Bearer <key>'")
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise unauthorized("the Authorization header holds no valid API key")
    if " " in key:
        raise unauthorized("the Authorization header holds no valid API key")
    return key


def unauthorized(detail: str) -> HTTPException:
    """A 401 that names the accepted schemes."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": CHALLENGE})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a configured key (its id, never the key) or an anonymous caller."""

    key_id: str | None
    scopes: frozenset[ApiScope]

    @property
    def anonymous(self) -> bool:
        """True when no key was presented."""
        return self.key_id is None


@dataclass
class KeyRing:
    """The configured keys and the anonymous policy of one app.

    Args:
        keys: the configured digests and scopes.
        anonymous_search: callers without a key get the ``search`` scope.
        write_concurrency: in-flight write requests allowed per key.
    """

    keys: Sequence[ApiKeyHash]
    anonymous_search: bool = False
    write_concurrency: int = 4
    _in_flight: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The key ring of ``settings.api_*``."""
        return cls(
            settings.api_keys,
            anonymous_search=settings.api_anonymous_search,
            write_concurrency=settings.api_write_concurrency,
        )

    @property
    def anonymous_scopes(self) -> frozenset[ApiScope]:
        """What a caller without a key may do."""
        return frozenset({"search"}) if self.anonymous_search else frozenset()

    def lookup(self, key: str) -> ApiKeyHash | None:
        """The configured key whose digest is ``key``'s, compared in constant time."""
        digest = hash_key(key).encode("ascii")
        found: ApiKeyHash | None = None
        for entry in self.keys:  # no early exit: every digest is compared
            if hmac.compare_digest(digest, entry.sha256.encode("ascii")):
                found = entry
        return found

    def principal(self, key: str | None) -> Principal:
        """The caller presenting ``key`` (None: no key).

        Raises:
            HTTPException: 401 for a key that is not configured.
        """
        if key is None:
            return Principal(None, self.anonymous_scopes)
        entry = self.lookup(key)
        if entry is None:
            raise unauthorized("the API key is not valid")
        # A key never gives less than no key at all.
        return Principal(entry.id, entry.scopes | self.anonymous_scopes)

    def try_acquire(self, key_id: str) -> bool:
        """Take one of ``key_id``'s write slots; False when all are in use."""
        used = self._in_flight.get(key_id, 0)
        if used >= self.write_concurrency:
            return False
        self._in_flight[key_id] = used + 1
        return True

    def release(self, key_id: str) -> None:
        """Give back a slot taken by :meth:`try_acquire`."""
        left = self._in_flight.get(key_id, 1) - 1
        if left > 0:
            self._in_flight[key_id] = left
        else:
            self._in_flight.pop(key_id, None)

    def describe(self) -> str:
        """One line for the start-up log: key ids and scopes, never digests."""
        keys = ", ".join(f"{k.id} ({'+'.join(sorted(k.scopes))})" for k in self.keys) or "none"
        anonymous = "open" if self.anonymous_search else "closed"
        return f"API keys: {keys}; anonymous search {anonymous}"


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Give ``app`` the key ring of ``settings`` and log the policy once."""
    ring = KeyRing.from_settings(settings)
    app.state.auth = ring
    logger.info("%s", ring.describe())
    if not ring.keys and not ring.anonymous_search:
        logger.warning(
            "no API keys are configured (HYBRID_API_KEYS) and anonymous search is off "
            "(HYBRID_API_ANONYMOUS_SEARCH): every route but GET /health answers 401; "
            "mint a key with `hybrid apikey mint`"
        )


def _ring(request: Request) -> KeyRing:
    ring: KeyRing = request.app.state.auth
    return ring


async def authenticate(
    request: Request,
    _apikey: Annotated[str | None, Security(_APIKEY_SCHEME)],
    _bearer: Annotated[Any, Security(_BEARER_SCHEME)],
) -> Principal:
    """The caller of ``request`` (a FastAPI dependency; anonymous when no key is sent)."""
    key = parse_authorization(request.headers.get("authorization"))
    return _ring(request).principal(key)


async def authorize(
    security_scopes: SecurityScopes,
    principal: Annotated[Principal, Depends(authenticate)],
) -> Principal:
    """The caller, who must hold every scope the route requires.

    Raises:
        HTTPException: 401 when an anonymous caller lacks a scope, 403 when a key does.
    """
    missing = sorted(set(security_scopes.scopes) - principal.scopes)
    if not missing:
        return principal
    if principal.anonymous:
        raise unauthorized(f"this route needs an API key with scope {missing[0]!r}")
    raise HTTPException(403, f"API key {principal.key_id!r} lacks scope {missing[0]!r}")


async def write_slot(
    request: Request,
    principal: Annotated[Principal, Security(authorize, scopes=["write"])],
) -> AsyncIterator[Principal]:
    """A write caller holding one of its key's concurrency slots for the request's length.

    Raises:
        HTTPException: 429 with ``Retry-After`` when the key has all its writes in flight.
    """
    ring, key_id = _ring(request), principal.key_id
    assert key_id is not None  # the write scope is never anonymous
    if not ring.try_acquire(key_id):
        raise HTTPException(
            429,
            f"API key {key_id!r} has {ring.write_concurrency} write requests in flight; "
            "retry when one has finished",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        yield principal
    finally:
        ring.release(key_id)


#: Route dependencies: ``dependencies=[SEARCH]`` / ``[WRITE]``.
SEARCH: Final = Security(authorize, scopes=["search"])
WRITE: Final = Depends(write_slot)
#: A route's caller, anonymous or not (``/health`` shows details to ``admin`` keys).
Caller = Annotated[Principal, Depends(authenticate)]

#: The answers every protected route documents in OpenAPI.
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: {"description": "No API key, or one that is not valid (see `WWW-Authenticate`)."},
    403: {"description": "The API key lacks the route's scope."},
}
#: ... and those of the product routes, whose writes are capped per key.
WRITE_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **AUTH_RESPONSES,
    429: {"description": "Writes: the key has `api_write_concurrency` in flight (`Retry-After`)."},
}
