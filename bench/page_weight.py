"""How much JavaScript a page makes the browser download, gzip-compressed as served, against a
blank Reflex page measured in the same run.

Loads each page in Chromium with an empty cache (signing in first when asked), notes when the
page is usable (`--ready`, e.g. the balance shown) and waits until it has rendered everything
(`--wait`, e.g. the Plotly chart, imported lazily), and lists every JavaScript file fetched,
with the time it was requested. Each file is then requested again with `Accept-Encoding: gzip`
only, so the figure is the gzip transfer size whatever encodings the browser negotiated; the
uncompressed size is printed next to it. The page's totals, at "usable" and complete, are
divided by the baseline page's total and compared with the ceiling (2x, issue 16).

    python bench/page_weight.py http://localhost:3000/credits \\
        --email demo@example.com --password demo-password \\
        --ready "#credits-balance" --wait "#usage-chart .barlayer" \\
        --baseline http://localhost:3200/   # a blank `reflex init` app, same Reflex

A measurement tool for bench/README.md, not a test: it prints figures and asserts nothing.
"""

import argparse
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import sync_playwright

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
SETTLE_MS = 1500
CEILING = 2.0  # issue 16: /credits at most twice a blank Reflex page


@dataclass(frozen=True)
class Script:
    """One JavaScript file: where from, bytes on the wire (gzip) and bytes decoded."""

    url: str
    gzip_bytes: int
    raw_bytes: int
    before_ready: bool = True


@dataclass(frozen=True)
class PageWeight:
    """What one page load fetched."""

    scripts: list[Script]

    @property
    def total(self) -> int:
        return sum(s.gzip_bytes for s in self.scripts)

    @property
    def until_ready(self) -> int:
        return sum(s.gzip_bytes for s in self.scripts if s.before_ready)


def main() -> None:
    args = _arguments()
    page = weigh(args.url, args.email, args.password, args.ready, args.wait)
    _print_scripts(args.url, page)
    if args.baseline:
        blank = weigh(args.baseline, None, None, None, None)
        _print_scripts(args.baseline, blank)
        print(f"\nbaseline (blank page): {blank.total / 1024:.1f} KiB gzip")
        for label, size in (("usable", page.until_ready), ("complete", page.total)):
            ratio = size / blank.total
            verdict = "within" if ratio <= CEILING else "OVER"
            print(
                f"{label:>9}: {size / 1024:7.1f} KiB gzip = {ratio:.2f}x blank "
                f"({verdict} the {CEILING:.1f}x ceiling)"
            )


def weigh(
    url: str,
    email: str | None,
    password: str | None,
    ready_selector: str | None,
    wait_selector: str | None,
) -> PageWeight:
    """Load `url` in a fresh browser and measure every script it fetched."""
    requested = scripts_loaded_by(url, email, password, ready_selector, wait_selector)
    return PageWeight([_measure(u, before) for u, before in requested])


def scripts_loaded_by(
    url: str,
    email: str | None,
    password: str | None,
    ready_selector: str | None,
    wait_selector: str | None,
) -> list[tuple[str, bool]]:
    """Every .js URL a fresh browser fetched (cache empty), and whether it was requested
    before the page was usable (`ready_selector` visible; all of them when not given)."""
    seen: dict[str, float] = {}
    ready_at = float("inf")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        if email and password:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
            response = context.request.post(
                f"{origin}/api/auth/login", data={"email": email, "password": password}
            )
            assert response.ok, response.text()
        page = context.new_page()
        page.on(
            "request",
            lambda r: (
                seen.setdefault(r.url, time.monotonic())
                if urlsplit(r.url).path.endswith(".js")
                else None
            ),
        )
        page.goto(url, wait_until="commit")
        if ready_selector:
            page.wait_for_selector(ready_selector, timeout=60_000)
            ready_at = time.monotonic()
        page.wait_for_load_state("networkidle")
        if wait_selector:
            page.wait_for_selector(wait_selector, timeout=60_000)
        page.wait_for_timeout(SETTLE_MS)
        browser.close()
    return [(script, at <= ready_at) for script, at in seen.items()]


def _print_scripts(url: str, page: PageWeight) -> None:
    print(f"\n{url}")
    for script in sorted(page.scripts, key=lambda s: -s.gzip_bytes):
        name = urlsplit(script.url).path.rsplit("/", 1)[-1]
        when = "" if script.before_ready else "  (after usable)"
        print(
            f"{script.gzip_bytes / 1024:9.1f} KiB gz {script.raw_bytes / 1024:9.1f} KiB  "
            f"{name}{when}"
        )
    total_raw = sum(s.raw_bytes for s in page.scripts)
    print(
        f"{len(page.scripts)} scripts: {page.total / 1024:.1f} KiB gzip transferred "
        f"({page.until_ready / 1024:.1f} KiB until usable), {total_raw / 1024:.1f} KiB uncompressed"
    )


def _measure(url: str, before_ready: bool) -> Script:
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        response = client.get(url)
        response.raise_for_status()
        return Script(url, response.num_bytes_downloaded, len(response.content), before_ready)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--ready", help="CSS selector: the page is usable once it shows")
    parser.add_argument("--wait", help="CSS selector to wait for before counting")
    parser.add_argument("--baseline", help="URL of a blank Reflex page, measured in the same run")
    return parser.parse_args()


if __name__ == "__main__":
    main()
