"""Screenshots of the pages of ``symbp serve`` for docs/web.md (headless system Chromium).

Run: ``python docs/web_screenshots.py`` (needs the web and webtest extras and ``chromium``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.test_web_api import THREE_STEPS  # noqa: E402
from tests.test_web_server import Served  # noqa: E402


def main() -> None:
    server = Served("--workers", "2")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(120_000)

            def shot(name: str, full: bool = False) -> None:
                page.wait_for_selector("body[data-mathjax='done']", state="attached")
                page.screenshot(path=HERE / f"web_{name}.png", full_page=full)
                print(f"wrote docs/web_{name}.png")

            page.goto(server.url + "/")
            shot("index")
            page.goto(server.url + "/derive?layers=2,3,2&notation=ng&loss=bce&output=sigmoid")
            page.set_viewport_size({"width": 1100, "height": 1500})
            shot("derive")
            page.locator("article.writeup h2").nth(3).scroll_into_view_if_needed()
            shot("derive_deltas")
            layered = urlencode(
                {
                    "input": "1x4x4",
                    "net": "conv2d(2,3,relu) maxpool2d(2) flatten dense(2,softmax)",
                    "loss": "cross-entropy",
                }
            )
            page.goto(server.url + "/derive?" + layered)
            shot("derive_layered")
            page.set_viewport_size({"width": 1100, "height": 900})
            page.goto(server.url + "/check")
            page.fill("textarea[name=tex]", THREE_STEPS)
            page.get_by_role("button", name="Check").click()
            page.set_viewport_size({"width": 1100, "height": 1300})
            shot("check")
            page.goto(
                server.url + "/compile?layers=2,3,2&hidden=relu&output=softmax&loss=cross-entropy"
            )
            shot("compile")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
