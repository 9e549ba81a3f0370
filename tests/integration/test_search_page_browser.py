"""The search page in a real browser: Debian's Chromium driven by Playwright.

Against the API running as the stack runs it (a background ``hybrid serve`` process started by
:mod:`hybrid.stack.api`, anonymous search on, the demo model) over 40 generated products indexed
into this module's own index of the session's Elasticsearch. Every assertion is on what a person
sees: text, counts, ticked boxes, the URL.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import service_unavailable
from elasticsearch import Elasticsearch
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support.catalogue import catalogue

from hybrid import es as es_ops
from hybrid.errors import StackError
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.validation import validate_records
from hybrid.query.filters import colour_clause
from hybrid.settings import Settings
from hybrid.stack import api as api_node
from hybrid.stack import procs

pytestmark = pytest.mark.timeout(300)
PRODUCTS = 40
PAGE_SIZE = 12  # the page's own
WAIT_MS = 60_000  # a search on a busy 2-core machine; Playwright's expect polls until then


@dataclass
class LivePage:
    """The running page and what was indexed behind it."""

    url: str
    settings: Settings
    records: list[dict[str, Any]]
    image_root: Path


def chromium_path() -> str:
    """Debian's Chromium (``make setup`` installs it); Playwright's download is not used."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        service_unavailable("Chromium", FileNotFoundError("no `chromium` on PATH (make setup)"))
    assert found is not None
    return found


@pytest.fixture(scope="module")
def live(es_url: str, redis_url: str, image_root: Path, es: Elasticsearch) -> Iterator[LivePage]:
    name = f"test-page-{uuid.uuid4().hex[:8]}"
    (image_root / name).mkdir()
    home = Path(tempfile.mkdtemp(prefix="hybrid-test-page-"))
    settings = Settings(
        es_url=es_url,
        redis_url=redis_url,
        index_alias=name,
        home=home,
        model="demo",
        image_root=image_root,
        api_port=procs.free_port(),
        api_anonymous_search=True,
        search_timeout=60.0,
    )
    records = catalogue(image_root / name, PRODUCTS, seed=5)
    valid, invalid = validate_records(records)
    assert not invalid
    ingestor = Ingestor(settings)
    ingestor.ensure_index()
    assert len(ingestor.process(valid).indexed) == PRODUCTS
    es_ops.refresh(es, name)
    node = api_node.ApiNode(home / "api", settings.api_port)
    try:
        api_node.start(node, settings, extra_env={"HF_HUB_OFFLINE": "1"})
    except StackError as exc:
        service_unavailable("the API", exc)
    yield LivePage(node.url, settings, records, image_root)
    api_node.stop(node)
    for index in es.indices.get(index=f"{name}*", expand_wildcards="all"):
        es.options(ignore_status=404).indices.delete(index=index)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        # Chromium's sandbox needs user namespaces, which containers (and root) often lack.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live: LivePage) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live.url)
    context.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == []  # no uncaught JavaScript error on the way


def search_for(page: Page, text: str) -> None:
    page.get_by_label("Search products").fill(text)
    page.get_by_label("Search products").press("Enter")


def hit_ids(page: Page) -> list[str]:
    return [str(i) for i in page.locator("#hits > li").evaluate_all("els => els.map(e => e.dataset.id)")]


def test_typing_a_query_shows_hits_understanding_and_leg_bars(page: Page, live: LivePage) -> None:
    page.goto("/")
    search_for(page, "red sneakers")
    expect(page).to_have_url(re.compile(r"/\?q=red\+sneakers$"))
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{PRODUCTS} products · showing 1–12$"))
    expect(page.locator("#understanding")).to_contain_text("'red' as colour red")
    expect(page.locator("#understanding")).to_contain_text("'sneakers' as category Footwear > Sneakers")
    expect(page.locator("#hits > li")).to_have_count(PAGE_SIZE)
    first = page.locator("#hits > li").first
    expect(first.locator("h3")).not_to_be_empty()
    # A text query runs all three legs: each hit shows one bar per leg, with its rank there.
    expect(first.locator("dl.legs dt")).to_contain_text([re.compile("Words"), re.compile("Image"), re.compile("Text")])
    sneakers = [r["title"] for r in live.records if r["category"] == "Footwear > Sneakers"]
    expect(first.locator("h3")).to_have_text(re.compile("|".join(map(re.escape, sneakers))))
    # The thumbnails are the products' own images, served by the API.
    page.wait_for_function(
        "() => { const i = document.querySelector('#hits img'); return i && i.complete && i.naturalWidth > 0; }"
    )
