"""hybrid.api.auth: key digests, the Authorization header, scopes, the write cap."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException
from support.api import FakeSearcher, assert_error
from support.apikeys import KEYS, auth_header, configured

from hybrid.api import auth, create_app
from hybrid.api.auth import KeyRing, hash_key, mint_key, parse_authorization
from hybrid.api.state import ApiState
from hybrid.errors import SearchUnavailableError
from hybrid.settings import Settings


def test_a_key_is_configured_as_its_hex_sha256() -> None:
    assert hash_key("hyb_abc") == hashlib.sha256(b"hyb_abc").hexdigest()
    entry = configured("searcher")[0]
    assert entry.sha256 == hash_key(KEYS["searcher"][0]) and KEYS["searcher"][0] not in repr(entry)


def test_minted_keys_are_random_256_bit_tokens() -> None:
    keys = {mint_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(k.startswith("hyb_") and len(k) == 4 + 43 for k in keys)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (None, None),
        ("ApiKey hyb_abc", "hyb_abc"),
        ("Bearer hyb_abc", "hyb_abc"),
        ("apikey   hyb_abc ", "hyb_abc"),
        ("BEARER hyb_abc", "hyb_abc"),
    ],
)
def test_both_schemes_carry_the_key(header: str | None, key: str | None) -> None:
    assert parse_authorization(header) == key


@pytest.mark.parametrize(
    "header",
    ["", "Basic dXNlcjpwYXNz", "ApiKey", "Bearer ", "hyb_abc", "ApiKey a b", "ApiKey " + "k" * 257],
)
def test_malformed_headers_are_401_with_a_challenge(header: str) -> None:
    with pytest.raises(HTTPException) as caught:
        parse_authorization(header)
    assert caught.value.status_code == 401
    assert caught.value.headers == {"WWW-Authenticate": auth.CHALLENGE}


def test_a_key_holds_its_scopes_and_anonymous_search_adds_search() -> None:
    closed = KeyRing(configured())
    assert closed.principal(KEYS["writer"][0]).scopes == {"write"}
    assert closed.principal(None).scopes == frozenset() and closed.principal(None).anonymous
    opened = KeyRing(configured(), anonymous_search=True)
    assert opened.principal(None).scopes == {"search"}
    assert opened.principal(KEYS["writer"][0]).scopes == {"search", "write"}
    assert opened.principal(KEYS["admin"][0]).key_id == "admin"


def test_an_unknown_key_is_401_even_when_search_is_anonymous() -> None:
    with pytest.raises(HTTPException) as caught:
        KeyRing(configured(), anonymous_search=True).principal("hyb_not-a-configured-key")
    assert caught.value.status_code == 401


@pytest.mark.parametrize("position", [0, 2, None], ids=["first", "last", "none"])
def test_every_digest_is_compared_in_constant_time_whatever_matches(
    monkeypatch: pytest.MonkeyPatch, position: int | None
) -> None:
    """The path through lookup is the same for a first, a last and no match."""
    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    ring = KeyRing(configured("searcher", "writer", "admin"))
    key = mint_key() if position is None else KEYS[["searcher", "writer", "admin"][position]][0]
    found = ring.lookup(key)
    assert len(calls) == 3 and all(isinstance(a, bytes) for a, _ in calls)
    assert (found is None) == (position is None)


def test_write_slots_are_per_key_and_given_back() -> None:
    ring = KeyRing(configured(), write_concurrency=2)
    assert ring.try_acquire("writer") and ring.try_acquire("writer")
    assert not ring.try_acquire("writer")
    assert ring.try_acquire("all")  # another key has its own slots
    ring.release("writer")
    assert ring.try_acquire("writer")


@dataclass
class Capped:
    """An app with one write slot per key, whose writes block in the queue until released."""

    client: TestClient
    entered: threading.Event
    release: threading.Event


@pytest.fixture
def capped(settings: Settings) -> Iterator[Capped]:
    entered, release = threading.Event(), threading.Event()

    def blocked_queue(_state: ApiState) -> Any:
        entered.set()
        release.wait(10)
        raise SearchUnavailableError("the ingestion queue (Redis) is unavailable: test")

    app = create_app(
        settings.model_copy(update={"api_write_concurrency": 1}), service=FakeSearcher(settings)
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ApiState, "celery", blocked_queue)
        with TestClient(app) as client:
            yield Capped(client, entered, release)
            release.set()


def test_writes_over_the_per_key_cap_are_429_with_retry_after(capped: Capped) -> None:
    client = capped.client
    first: dict[str, Any] = {}

    def write() -> None:
        batch = [{"id": "sku-1", "title": "Red sneaker"}]
        first["response"] = client.post("/products", json=batch, headers=auth_header("writer"))

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert capped.entered.wait(10), "the first write never reached the queue"
        response = client.delete("/products/sku-1", headers=auth_header("writer"))
        assert_error(response, 429, "too_many_requests", "'writer' has 1 write requests")
        assert response.headers["Retry-After"] == "1"
        other = client.post("/products", json=[{"id": "x"}], headers=auth_header("all"))
        assert other.status_code == 422  # another key is not held back
    finally:
        capped.release.set()
        thread.join(15)
    assert first["response"].status_code == 503  # it held the slot to the end
    after = client.post("/products", json=[{"id": "x"}], headers=auth_header("writer"))
    assert after.status_code == 422  # and gave it back
