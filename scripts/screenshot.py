"""Screenshot of the search page, for the README: ``docs/img/search-page.png``.

Needs the page up (``make demo`` leaves it at http://127.0.0.1:8000/) and Debian's Chromium
(``make setup`` installs it); Playwright drives it, its own browser download is not used::

    .venv/bin/python scripts/screenshot.py
    .venv/bin/python scripts/screenshot.py --search "q=like+this,+but+in+blue&like=sku-000001"
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/", help="where the page is")
    parser.add_argument("--search", default="q=maroon+sneakers", help="the page's query string")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "search-page.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1100)
    parser.add_argument("--chromium", default=shutil.which("chromium"), help="browser binary")
    args = parser.parse_args()
    if not args.chromium:
        print("no `chromium` on PATH: run `make setup` (it installs Debian's)", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(f"{args.url.rstrip('/')}/?{args.search}")
        expect(page.locator("#results")).to_have_attribute("aria-busy", "false", timeout=60_000)
        expect(page.locator("#hits > li").first).to_be_visible(timeout=60_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('#hits img')]"
            ".filter(i => i.getBoundingClientRect().top < innerHeight)"  # lazy below the fold
            ".every(i => i.complete && i.naturalWidth > 0)",
            timeout=60_000,
        )
        page.screenshot(path=str(args.out), full_page=False)
        browser.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
