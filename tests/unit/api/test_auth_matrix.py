"""Every route x every credential -> status, with anonymous search off and on.

The expected table is written out here from the policy (hybrid.api.auth's docstring), not
computed by the code under test. Each request is chosen so that an *allowed* call answers
without a live service: the fake searcher serves searches (200), a batch without a valid
record and a delete with a bad version are refused after authorisation (422), and the product
read and the health check meet Elasticsearch and Redis on closed ports (503). The matrix is
printed, so a test run shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from support.api import FakeSearcher, png
from support.apikeys import auth_header

from hybrid.api import create_app
from hybrid.settings import Settings

Call = Callable[[TestClient, dict[str, str]], Any]

ROUTES: Final[dict[str, Call]] = {
    "POST /search": lambda c, h: c.post("/search", json={"text": "shoes"}, headers=h),
    "POST /search/image": lambda c, h: c.post(
        "/search/image", files={"file": ("q.png", png(), "image/png")}, headers=h
    ),
    "GET /products/{id}": lambda c, h: c.get("/products/sku-1", headers=h),
    "POST /products": lambda c, h: c.post("/products", json=[{"id": "sku-1"}], headers=h),
    "DELETE /products/{id}": lambda c, h: c.delete("/products/sku-1?version=-1", headers=h),
    "GET /health": lambda c, h: c.get("/health", headers=h),
}
CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "anonymous": {},
    "bad key": {"Authorization": "ApiKey hyb_not-a-configured-key-0000000000"},
    "search key": auth_header("searcher"),
    "write key": auth_header("writer", scheme="Bearer"),
    "admin key": auth_header("admin"),
    "all scopes": auth_header("all", scheme="Bearer"),
}
#: What each route answers when the caller is let through (see the module docstring).
ALLOWED: Final = {
    "POST /search": "200",
    "POST /search/image": "200",
    "GET /products/{id}": "503",
    "POST /products": "422",
    "DELETE /products/{id}": "422",
}
SEARCH_ROUTES: Final = ("POST /search", "POST /search/image", "GET /products/{id}")
WRITE_ROUTES: Final = ("POST /products", "DELETE /products/{id}")
HEALTH_STATUS_ONLY, HEALTH_DETAILS = "503 status", "503 details"


def expected(route: str, credential: str, *, anonymous_search: bool) -> str:
    """The policy, cell by cell."""
    if credential == "bad key":
        return "401"
    if route == "GET /health":
        return HEALTH_DETAILS if credential in {"admin key", "all scopes"} else HEALTH_STATUS_ONLY
    scopes = {
        "anonymous": set(),
        "search key": {"search"},
        "write key": {"write"},
        "admin key": {"admin"},
        "all scopes": {"search", "write", "admin"},
    }[credential]
    if anonymous_search:
        scopes.add("search")
    needed = "search" if route in SEARCH_ROUTES else "write"
    if needed in scopes:
        return ALLOWED[route]
    return "401" if credential == "anonymous" else "403"


def observed(response: Any) -> str:
    """The cell: the status, and for /health whether the details were shown."""
    if response.request.url.path != "/health" or response.status_code in {401, 403}:
        return str(response.status_code)
    shown = "details" if "elasticsearch" in response.json() else "status"
    return f"{response.status_code} {shown}"


@pytest.fixture(params=[False, True], ids=["anonymous-search-off", "anonymous-search-on"])
def matrix_client(request: pytest.FixtureRequest, settings: Settings) -> Iterator[TestClient]:
    live = settings.model_copy(update={"api_anonymous_search": request.param})
    with TestClient(create_app(live, service=FakeSearcher(live))) as client:
        yield client


def render(cells: dict[tuple[str, str], str], title: str) -> str:
    """The matrix as a fixed-width table: routes down, credentials across."""
    width = max(len(r) for r in ROUTES) + 2
    head = "".join(f"{c:>13}" for c in CREDENTIALS)
    rows = [
        f"{route:<{width}}" + "".join(f"{cells[route, c]:>13}" for c in CREDENTIALS)
        for route in ROUTES
    ]
    return "\n".join([title, f"{'':<{width}}{head}", *rows])


def test_every_route_and_credential_get_the_policys_status(
    matrix_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    anonymous_search = matrix_client.app.state.api.settings.api_anonymous_search
    cells = {
        (route, credential): observed(call(matrix_client, headers))
        for route, call in ROUTES.items()
        for credential, headers in CREDENTIALS.items()
    }
    title = f"\nendpoint x credential -> status (HYBRID_API_ANONYMOUS_SEARCH={anonymous_search})"
    with capsys.disabled():
        print(render(cells, title))
    wanted = {
        (route, credential): expected(route, credential, anonymous_search=anonymous_search)
        for route in ROUTES
        for credential in CREDENTIALS
    }
    assert cells == wanted


def test_401_answers_name_the_schemes_and_carry_a_request_id(matrix_client: TestClient) -> None:
    response = ROUTES["POST /products"](matrix_client, {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("ApiKey ")
    body = response.json()
    assert body["error"] == "unauthorized"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_without_any_key_configured_every_protected_route_is_401(settings: Settings) -> None:
    bare = settings.model_copy(update={"api_keys": []})
    with TestClient(create_app(bare, service=FakeSearcher(bare))) as client:
        statuses = {
            route: call(client, auth_header("all")).status_code for route, call in ROUTES.items()
        }
    assert statuses == {**{route: 401 for route in ALLOWED}, "GET /health": 401}
    with TestClient(create_app(bare, service=FakeSearcher(bare))) as client:
        assert ROUTES["GET /health"](client, {}).json() == {"status": "unavailable"}
