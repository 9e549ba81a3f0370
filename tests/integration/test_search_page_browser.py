"""The search page in a real browser: Debian's Chromium driven by Playwright.

Against the API running as the stack runs it (a background ``hybrid serve`` process started by
:mod:`hybrid.stack.api`, anonymous search on, the demo model) over 40 generated products indexed
into this module's own index of the session's Elasticsearch. Every assertion is on what a person
sees: text, counts, ticked boxes, the URL.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import service_unavailable
from elasticsearch import Elasticsearch
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support.catalogue import catalogue

from hybrid import es as es_ops
from hybrid.errors import StackError
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.validation import validate_records
from hybrid.query.filters import colour_clause, meets
from hybrid.query.request import Filters
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


def settled(page: Page) -> None:
    """Wait until the page has drawn the answer to its latest search (it is busy until then)."""
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def hit_ids(page: Page) -> list[str]:
    return [
        str(i) for i in page.locator("#hits > li").evaluate_all("els => els.map(e => e.dataset.id)")
    ]


def test_typing_a_query_shows_hits_understanding_and_leg_bars(page: Page, live: LivePage) -> None:
    page.goto("/")
    search_for(page, "red sneakers")
    expect(page).to_have_url(re.compile(r"/\?q=red\+sneakers$"))
    expect(page.locator("#status")).to_have_text(
        re.compile(rf"^{PRODUCTS} products · showing 1 to 12$")
    )
    expect(page.locator("#understanding")).to_contain_text("'red' as colour red")
    expect(page.locator("#understanding")).to_contain_text(
        "'sneakers' as category Footwear > Sneakers"
    )
    expect(page.locator("#hits > li")).to_have_count(PAGE_SIZE)
    first = page.locator("#hits > li").first
    expect(first.locator("h3")).not_to_be_empty()
    # A text query runs all three legs: each hit shows one bar per leg, with its rank there.
    expect(first.locator("dl.legs dt")).to_contain_text(
        [re.compile("^BM25"), re.compile("^Image kNN"), re.compile("^Text kNN")]
    )
    sneakers = [r["title"] for r in live.records if r["category"] == "Footwear > Sneakers"]
    expect(first.locator("h3")).to_have_text(re.compile("|".join(map(re.escape, sneakers))))
    # The thumbnails are the products' own images, served by the API.
    page.wait_for_function(
        "() => { const i = document.querySelector('#hits img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    # Both words are needed on the BM25 leg, and no title here has both: that leg shows "-".
    # A word BM25 can find ranks there.
    search_for(page, "sneakers")
    expect(page).to_have_url(re.compile(r"/\?q=sneakers$"))
    expect(first.get_by_role("term").first).to_have_text(re.compile(r"^BM25 #\d+$"))


def test_words_nothing_read_are_said_under_the_query(page: Page, live: LivePage) -> None:
    page.goto("/")
    search_for(page, "comfy red sneakers")
    settled(page)
    line = page.locator("#understanding")
    expect(line).to_contain_text("'red' as colour red")
    expect(line).to_contain_text("Not read as a colour, category or brand: 'comfy'")
    # A word no list knows, placed by the text model: said as a guess, not as "not read".
    search_for(page, "bumbag")
    settled(page)
    expect(line).to_contain_text("Guessed by a text model: 'bumbag' as category Bags")
    expect(line).not_to_contain_text("Not read")


def test_ticking_facets_filters_the_hits_and_matches_the_count(page: Page) -> None:
    page.goto("/?q=bag")
    colours = page.get_by_role("group", name="Colour")
    expect(colours.get_by_role("checkbox").first).to_be_visible()
    label = colours.locator("label").first.inner_text()  # e.g. "orange (5)"
    family, count = re.fullmatch(r"(\w+) \((\d+)\)", label).groups()  # type: ignore[union-attr]
    colours.get_by_role("checkbox").first.check()
    expect(page).to_have_url(re.compile(rf"/\?q=bag&colour_family={family}$"))
    # The facet's count is the number of products the shopper gets by ticking it.
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{count} products"))
    expect(page.locator("#hits > li")).to_have_count(min(int(count), PAGE_SIZE))
    for meta in page.locator("#hits > li p.meta:nth-of-type(2)").all_inner_texts():
        assert family in meta
    # Multi-select: a second colour widens the results (OR within a facet); both stay ticked.
    second = colours.get_by_role("checkbox").nth(1)
    other = colours.locator("label").nth(1).inner_text()
    other_family, other_count = re.fullmatch(r"(\w+) \((\d+)\)", other).groups()  # type: ignore[union-attr]
    second.check()
    expect(page).to_have_url(re.compile(rf"colour_family={family}&colour_family={other_family}$"))
    expect(page.locator("#status")).to_have_text(
        re.compile(rf"^{int(count) + int(other_count)} products")
    )
    expect(colours.get_by_role("checkbox", checked=True)).to_have_count(2)


def test_a_price_range_keeps_prices_inside_it(page: Page, live: LivePage) -> None:
    page.goto("/?q=watch")
    page.get_by_label("From").fill("50")
    page.get_by_label("to", exact=True).fill("100")
    page.get_by_role("button", name="Apply price").click()
    expect(page).to_have_url(re.compile(r"price_min=50&price_max=100$"))
    inside = [r for r in live.records if 50 <= r["price"] <= 100]
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{len(inside)} products"))
    prices = [float(p) for p in page.locator("#hits .price").all_inner_texts()]
    assert prices and all(50 <= p <= 100 for p in prices)


def test_uploading_a_photo_finds_that_product_first(page: Page, live: LivePage) -> None:
    target = live.records[3]
    page.goto("/")
    page.get_by_label("Search by image").set_input_files(live.image_root / target["images"][0])
    expect(page).to_have_url(re.compile(r"/\?image=[0-9a-f]{12}$"))
    expect(page.locator("#reference")).to_contain_text("Like your photo")
    expect(page.locator("#hits > li").first).to_have_attribute("data-id", target["id"])
    expect(page.locator("#hits > li").first.locator("h3")).to_have_text(target["title"])
    # A photo query runs the image-vector leg (text-to-image is left out for photos alone).
    expect(page.locator("#hits > li").first.locator("dl.legs dt").first).to_have_text(
        "Image kNN #1"
    )
    page.wait_for_function(
        "() => { const i = document.getElementById('reference-img');"
        " return i.complete && i.naturalWidth > 0; }"
    )  # the photo itself is shown as the reference
    # The photo stays in the tab: reloading the URL runs the same search again.
    page.reload()
    expect(page.locator("#reference")).to_contain_text("Like your photo")
    expect(page.locator("#hits > li").first).to_have_attribute("data-id", target["id"])


def _rare_family(es: Elasticsearch, live: LivePage, *, besides: str) -> tuple[str, int]:
    """A colour family that 1 to 5 indexed products have, none of them ``besides``."""
    for family in ("purple", "green", "yellow", "brown", "pink", "blue", "white", "grey"):
        clause = colour_clause([family])
        found = es.count(index=live.settings.index_alias, query=clause)["count"]
        has_it = es.count(
            index=live.settings.index_alias,
            query={"bool": {"filter": [clause, {"ids": {"values": [besides]}}]}},
        )["count"]
        if 1 <= found <= 5 and not has_it:
            return family, int(found)
    pytest.fail("the generated catalogue has no rare colour family")


def test_more_like_this_then_like_this_but_in_a_colour(
    page: Page, live: LivePage, es: Elasticsearch
) -> None:
    page.goto("/?q=sneakers")
    first = page.locator("#hits > li").first
    expect(first).to_be_visible()
    chosen = str(first.get_attribute("data-id"))
    first.get_by_role("button", name=re.compile("^More like")).click()
    expect(page).to_have_url(re.compile(rf"/\?like={chosen}$"))
    expect(page.locator("#reference")).to_contain_text(f"More like product {chosen}")
    settled(page)
    expect(page.locator("#hits > li")).to_have_count(PAGE_SIZE)
    assert chosen not in hit_ids(page)  # the product itself is not "like" itself
    # The query box now refines the reference: "like this, but in <colour>".
    family, count = _rare_family(es, live, besides=chosen)
    refine = page.get_by_label("Refine: like this, but…")
    expect(refine).to_be_focused()
    refine.fill(f"in {family}")
    refine.press("Enter")
    expect(page).to_have_url(re.compile(rf"/\?q=in\+{family}&like={chosen}$"))
    expect(page.locator("#understanding")).to_contain_text(f"'{family}' as colour {family}")
    # Fewer than a page of products have that colour: the requirement is relaxed, and said so.
    # (With too few of the reference's own category too, that requirement goes as well.)
    expect(page.locator("#relaxed")).to_have_text(
        re.compile(
            rf"Too few products matched colour {family}( and category [^,]+)?, so "
            "(that filter was|those filters were) relaxed: other products are shown too."
        )
    )
    # ...and the page comes in tiers, the last relaxed requirement first: that colour in the
    # reference's category, then its category in other colours, then the rest.
    shown = hit_ids(page)
    sources = {
        doc["_id"]: doc["_source"]
        for doc in es.mget(index=live.settings.index_alias, ids=[chosen, *shown])["docs"]
    }
    strict = Filters(colour_family=[family], category=[sources[chosen]["category"]])
    tiers = [
        meets(sources[i], strict, ["category"]) + meets(sources[i], strict, ["colour_family"])
        if meets(sources[i], strict, ["category"])
        else 0
        for i in shown
    ]
    kind = sources[chosen]["category"]
    same_kind = [r for r in live.records if r["category"] == kind and r["id"] != chosen]
    both = es.count(
        index=live.settings.index_alias,
        query={"bool": {"filter": [colour_clause([family]), {"term": {"category_path": kind}}]}},
    )["count"]
    print("family", family, "count", count, kind, len(same_kind), "both", both, "tiers", tiers)
    assert tiers == sorted(tiers, reverse=True)
    assert tiers.count(2) == min(both, PAGE_SIZE)
    assert sum(t >= 1 for t in tiers) == min(len(same_kind), PAGE_SIZE)


def test_a_category_with_too_few_products_is_widened_and_said(page: Page, live: LivePage) -> None:
    # One pair of sunglasses among 40 products: the page shows it, then the rest of
    # Accessories (12 here, exactly a page), not products of any kind.
    category = {r["id"]: r["category"] for r in live.records}
    assert list(category.values()).count("Accessories > Sunglasses") == 1
    page.goto("/")
    search_for(page, "sunglasses")
    settled(page)
    expect(page.locator("#relaxed")).to_contain_text(
        "Accessories > Sunglasses was widened to Accessories, and Accessories > Sunglasses "
        "comes first."
    )
    shown = [category[i] for i in hit_ids(page)]
    print("categories shown:", shown)
    assert shown[0] == "Accessories > Sunglasses"
    assert len(shown) == PAGE_SIZE and all(c.startswith("Accessories > ") for c in shown)


def test_paging_and_the_back_button(page: Page) -> None:
    page.goto("/")
    # A few black products among 40: colour is relaxed and every product is a result (a category
    # word would be widened first: "watch" finds the 12 accessories, one page).
    search_for(page, "black")
    expect(page.locator("#page-info")).to_have_text(f"Page 1 of {-(-PRODUCTS // PAGE_SIZE)}")
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    first_page = hit_ids(page)
    settled(page)
    page.get_by_role("button", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/\?q=black&page=2$"))
    expect(page.locator("#page-info")).to_have_text(re.compile("^Page 2 of"))
    expect(page.locator("#status")).to_have_text(re.compile("showing 13 to 24$"))
    settled(page)
    second_page = hit_ids(page)
    assert len(second_page) == PAGE_SIZE and not set(first_page) & set(second_page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?q=black$"))
    expect(page.locator("#page-info")).to_have_text(re.compile("^Page 1 of"))
    settled(page)
    assert hit_ids(page) == first_page
    page.go_back()  # before the search: the empty page
    expect(page.locator("#status")).to_have_text(re.compile("^Type what you are looking for"))
    expect(page.get_by_label("Search products")).to_have_value("")
    page.go_forward()
    expect(page.get_by_label("Search products")).to_have_value("black")
    expect(page.locator("#hits > li").first).to_have_attribute("data-id", first_page[0])


def test_a_link_reproduces_the_search(page: Page, browser: Browser, live: LivePage) -> None:
    page.goto("/?q=bag&brand=Northvane&page=1")
    expect(page.get_by_label("Search products")).to_have_value("bag")
    brands = page.get_by_role("group", name="Brand")
    expect(brands.get_by_label(re.compile(r"^Northvane \("))).to_be_checked()
    northvane = sum(r["brand"] == "Northvane" for r in live.records)
    expect(page.locator("#status")).to_have_text(re.compile(rf"^{northvane} products"))


def test_keyboard_only_and_phone_width(browser: Browser, live: LivePage) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=live.url)
    try:
        phone = context.new_page()
        phone.goto("/")
        phone.keyboard.press("Tab")  # the title link, then the query box
        phone.keyboard.press("Tab")
        expect(phone.get_by_label("Search products")).to_be_focused()
        phone.keyboard.type("backpack")
        phone.keyboard.press("Enter")
        expect(phone).to_have_url(re.compile(r"/\?q=backpack$"))
        expect(phone.locator("#hits > li").first).to_be_visible(timeout=WAIT_MS)
        for _ in range(6):  # search button, photo input, then the first facet's checkbox
            phone.keyboard.press("Tab")
            if phone.evaluate("document.activeElement.type") == "checkbox":
                break
        assert phone.evaluate("document.activeElement.type") == "checkbox"
        phone.keyboard.press("Space")
        expect(phone).to_have_url(re.compile(r"/\?q=backpack&colour_family=\w+$"), timeout=WAIT_MS)
        # Readable at phone width: nothing wider than the screen, the hits in one column.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        boxes = [phone.locator("#hits > li").nth(i).bounding_box() for i in range(2)]
        if all(boxes):
            assert boxes[0]["x"] == boxes[1]["x"]  # type: ignore[index]
    finally:
        context.close()


def test_the_screenshot_command_writes_the_readme_picture(live: LivePage, tmp_path: Path) -> None:
    out = tmp_path / "page.png"
    script = Path(__file__).resolve().parents[2] / "scripts" / "screenshot.py"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            "--url",
            live.url,
            "--search",
            "q=sneakers",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.size == (1280, 1100)
        # Not a blank page: the hits' images make it colourful.
        assert len(picture.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 1000
