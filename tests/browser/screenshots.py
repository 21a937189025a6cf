"""Take the README screenshots: `python -m tests.browser.screenshots [--db URL] [--out docs/screenshots]`.

Uses the demo store when given one (``huntfeed demo`` writes out/huntfeed-demo.db), else the
hand-built test profiles.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from huntfeed.store import Store
from huntfeed.web.app import create_app
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, LiveServer


def main() -> None:
    """Serve the store, open each main page in Chromium and save a PNG of it."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="store URL (default: the test fixtures)")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = ap.parse_args()
    if args.db:
        store = Store(args.db)
    else:
        from tests.fixtures_profiles import make_store

        store = make_store(Path(tempfile.mkdtemp()) / "shots.db")
    latest = store.list_profiles(limit=100)
    best = max(latest, key=lambda p: (p.version > 1, len(p.hunts) > 0, len(p.techniques), len(p.indicators)))
    args.out.mkdir(parents=True, exist_ok=True)
    with LiveServer(create_app(store)) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        shots = {"list": "/?period=all", "profile": f"/profiles/{best.id}", "heatmap": "/heatmap?period=all",
                 "feeds": "/feeds"}
        for name, path in shots.items():
            # The matrix has 14+ columns: give it the width of a large monitor.
            page.set_viewport_size({"width": 1680 if name == "heatmap" else 1440, "height": 900})
            page.goto(server.base + path)
            page.screenshot(path=str(args.out / f"{name}.png"))
            print(args.out / f"{name}.png")
        page.goto(server.base + shots["profile"] + "#hunts")
        page.locator("details.hunt").first.screenshot(path=str(args.out / "profile-hunt.png"))
        print(args.out / "profile-hunt.png")
        browser.close()


if __name__ == "__main__":
    main()
