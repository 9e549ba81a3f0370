"""Fixed API keys for tests, one per scope set, and their configured (hashed) form."""

from __future__ import annotations

from typing import Final

from hybrid.api.auth import hash_key
from hybrid.settings import ApiKeyHash, ApiScope

#: key id -> (the key, its scopes). The keys are test constants, never real secrets.
KEYS: Final[dict[str, tuple[str, frozenset[ApiScope]]]] = {
    "searcher": ("hyb_test-search-key-0123456789abcdef", frozenset({"search"})),
    "writer": ("hyb_test-write-key-0123456789abcdef", frozenset({"write"})),
    "admin": ("hyb_test-admin-key-0123456789abcdef", frozenset({"admin"})),
    "all": ("hyb_test-all-scopes-key-0123456789abcdef", frozenset({"search", "write", "admin"})),
}


def configured(*ids: str) -> list[ApiKeyHash]:
    """The ``api_keys`` setting holding the keys ``ids`` (default: all of them)."""
    return [
        ApiKeyHash(id=key_id, sha256=hash_key(KEYS[key_id][0]), scopes=KEYS[key_id][1])
        for key_id in ids or tuple(KEYS)
    ]


def auth_header(key_id: str, *, scheme: str = "ApiKey") -> dict[str, str]:
    """The ``Authorization`` header presenting the key ``key_id``."""
    return {"Authorization": f"{scheme} {KEYS[key_id][0]}"}
