"""How much JavaScript a page makes the browser download, gzip-compressed as served, until it is
usable and once it is complete, against a blank Reflex page measured in the same run.

Loads each page in Chromium with an empty cache (signing in first when asked) and lets it run as
a visitor's browser would: nothing is blocked, delayed or scrolled before the cut. The page's own
performance timeline then says what was requested when:

- **usable** (a): every script whose request started before the usage chart asked for its
  Plotly bundle (the `uc-chart-bundle-requested` performance mark that
  components/credits/plotly_bars.py sets when it starts that fetch). The bench checks, and
  prints, that by then the page had painted (first-contentful-paint), showed `--ready` (e.g.
  the balance) and had no HTTP request in flight (every earlier request's responseEnd is before
  the mark; the Reflex WebSocket, one long-lived connection, is not an HTTP request and is not
  counted). A page that never sets the mark (the blank page, or a /credits without deferral) is
  "usable" only once complete: all its scripts count.
- **complete** (b): every script fetched by the time `--wait` shows (e.g. the chart's bars)
  and the network has settled; when `--wait` is not visible by itself (a chart below the fold
  loads when scrolled to) the bench scrolls it into view, after the cut.

Each script is then requested again with `Accept-Encoding: gzip` only, so the figure is the
gzip transfer size whatever encodings the browser negotiated; the uncompressed size is printed
next to it. Both totals are divided by the baseline page's total and compared with the ceiling
(2x, issue 16).

    python bench/page_weight.py http://localhost:3000/credits \\
        --email demo@example.com --password demo-password \\
        --ready "#credits-balance" --wait "#usage-chart .barlayer" \\
        --baseline http://localhost:3200/   # a blank `reflex init` app, same Reflex

A measurement tool for bench/README.md, not a test: it prints figures and asserts nothing.
"""

import argparse
import json
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
SETTLE_MS = 1500
CEILING = 2.0  # issue 16: /credits at most twice a blank Reflex page
CUT_MARK = "uc-chart-bundle-requested"  # credits_app/components/credits/plotly_bars.LOAD_MARK

# Runs in the page before any of its scripts: room for every resource entry, and the moment
# (performance.now) the --ready selector first matched a rendered element.
TIMELINE_SCRIPT = """
(readySelector) => {
  performance.setResourceTimingBufferSize(10000);
  if (!readySelector) return;
  const shown = () => {
    const element = document.querySelector(readySelector);
    return element && element.getClientRects().length > 0 && element.textContent.trim() !== "";
  };
  const check = () => {
    if (window.__ucReadyAt === undefined && shown()) window.__ucReadyAt = performance.now();
    if (window.__ucReadyAt === undefined) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""
TIMELINE_READ = """
(mark) => ({
  resources: performance.getEntriesByType("resource").map((r) => ({
    url: r.name, start: r.startTime, end: r.responseEnd,
  })),
  mark: performance.getEntriesByName(mark)[0]?.startTime ?? null,
  fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
  ready: window.__ucReadyAt ?? null,
  load: performance.getEntriesByType("navigation")[0]?.loadEventEnd ?? null,
})
"""


@dataclass(frozen=True)
class Script:
    """One JavaScript file: where from, bytes on the wire (gzip) and bytes decoded, and whether
    the browser requested it before the cut (the chart's bundle request)."""

    url: str
    gzip_bytes: int
    raw_bytes: int
    before_cut: bool = True


@dataclass(frozen=True)
class Timeline:
    """Milliseconds since navigation start, from the page's own performance timeline."""

    cut: float | None  # the chart asked for its bundle; None: never (all scripts count)
    first_paint: float | None
    ready: float | None
    load: float | None
    last_response_before_cut: float | None  # responseEnd of the last HTTP request started before

    def problems(self) -> list[str]:
        """Why the cut would not be a usable page (empty when it is)."""
        if self.cut is None:
            return []
        found = []
        if self.first_paint is None or self.first_paint > self.cut:
            found.append("no first paint before the chart's bundle was requested")
        if self.ready is None or self.ready > self.cut:
            found.append("--ready not shown before the chart's bundle was requested")
        last = self.last_response_before_cut
        if last is not None and last > self.cut:
            found.append("HTTP requests still in flight when the chart's bundle was requested")
        return found


@dataclass(frozen=True)
class PageWeight:
    """What one page load fetched, and when."""

    scripts: list[Script]
    timeline: Timeline

    @property
    def total(self) -> int:
        return sum(s.gzip_bytes for s in self.scripts)

    @property
    def until_usable(self) -> int:
        return sum(s.gzip_bytes for s in self.scripts if s.before_cut)


def main() -> None:
    args = _arguments()
    print(f"load average: {_load_average()}")
    page = weigh(args.url, args.email, args.password, args.ready, args.wait)
    _print_page(args.url, page)
    if args.baseline:
        blank = weigh(args.baseline, None, None, None, None)
        _print_page(args.baseline, blank)
        print(f"\nbaseline (blank page): {len(blank.scripts)} scripts, {_kib(blank.total)} gzip")
        for label, size, count in (
            ("(a) usable", page.until_usable, sum(s.before_cut for s in page.scripts)),
            ("(b) complete", page.total, len(page.scripts)),
        ):
            ratio = size / blank.total
            verdict = "within" if ratio <= CEILING else "OVER"
            print(
                f"{label:>13}: {count:3d} scripts {_kib(size)} gzip = {ratio:.2f}x blank "
                f"({verdict} the {CEILING:.1f}x ceiling)"
            )
    print(f"load average: {_load_average()}")


def weigh(
    url: str,
    email: str | None,
    password: str | None,
    ready_selector: str | None,
    wait_selector: str | None,
) -> PageWeight:
    """Load `url` in a fresh browser and measure every script it fetched."""
    timeline, requested = load_page(url, email, password, ready_selector, wait_selector)
    return PageWeight([_measure(u, before) for u, before in requested], timeline)


def load_page(
    url: str,
    email: str | None,
    password: str | None,
    ready_selector: str | None,
    wait_selector: str | None,
) -> tuple[Timeline, list[tuple[str, bool]]]:
    """The page's timeline and every .js URL a fresh browser fetched (cache empty), each with
    whether its request started before the cut."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        if email and password:
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
            response = context.request.post(
                f"{origin}/api/auth/login", data={"email": email, "password": password}
            )
            assert response.ok, response.text()
        context.add_init_script(f"({TIMELINE_SCRIPT})({json.dumps(ready_selector)})")
        page = context.new_page()
        page.goto(url, wait_until="commit")
        if ready_selector:
            page.wait_for_selector(ready_selector, timeout=60_000)
        page.wait_for_load_state("networkidle")
        if wait_selector:
            _wait_for(page, wait_selector)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(SETTLE_MS)
        recorded: dict[str, Any] = page.evaluate(TIMELINE_READ, CUT_MARK)
        browser.close()
    cut = recorded["mark"]
    resources = recorded["resources"]
    started_before = [r for r in resources if cut is None or r["start"] < cut]
    timeline = Timeline(
        cut=cut,
        first_paint=recorded["fcp"],
        ready=recorded["ready"],
        load=recorded["load"],
        last_response_before_cut=max((r["end"] for r in started_before), default=None),
    )
    first_start: dict[str, float] = {}
    for resource in resources:
        if urlsplit(resource["url"]).path.endswith(".js"):
            first_start.setdefault(resource["url"], resource["start"])
    return timeline, [(u, cut is None or at < cut) for u, at in first_start.items()]


def _wait_for(page: Page, selector: str) -> None:
    """Wait for `selector`; if it does not come by itself, scroll its nearest placeholder (or
    the page's end) into view, as a reader scrolling down would, and wait again."""
    try:
        page.wait_for_selector(selector, state="attached", timeout=15_000)
        return
    except PlaywrightTimeoutError:
        pass  # not drawn by itself: below the fold
    placeholder = page.locator("[aria-busy=true][role=img]").first
    if placeholder.count():
        placeholder.scroll_into_view_if_needed()
    else:
        page.mouse.wheel(0, 10_000)
    page.wait_for_selector(selector, state="attached", timeout=60_000)


def _print_page(url: str, page: PageWeight) -> None:
    print(f"\n{url}")
    for script in sorted(page.scripts, key=lambda s: (not s.before_cut, -s.gzip_bytes)):
        name = urlsplit(script.url).path.rsplit("/", 1)[-1]
        when = "" if script.before_cut else "  (after the cut)"
        print(
            f"{script.gzip_bytes / 1024:9.1f} KiB gz "
            f"{script.raw_bytes / 1024:9.1f} KiB  {name}{when}"
        )
    total_raw = sum(s.raw_bytes for s in page.scripts)
    print(
        f"{len(page.scripts)} scripts: {_kib(page.total)} gzip transferred "
        f"({_kib(page.until_usable)} until usable), {total_raw / 1024:.1f} KiB uncompressed"
    )
    t = page.timeline
    print(
        "timeline (ms from navigation): "
        + ", ".join(
            f"{name} {_ms(value)}"
            for name, value in (
                ("first paint", t.first_paint),
                ("ready", t.ready),
                ("load event", t.load),
                ("last response before the cut", t.last_response_before_cut),
                ("cut (chart bundle requested)", t.cut),
            )
        )
    )
    if t.cut is not None and t.last_response_before_cut is not None:
        quiet = t.cut - t.last_response_before_cut
        print(f"no HTTP request in flight for {quiet:.0f} ms before the cut")
    if t.cut is None:
        print("no cut: the page never deferred a chart, so all its scripts count as usable")
    for problem in t.problems():
        print(f"WARNING: {problem}; (a) is not a usable page")


def _measure(url: str, before_cut: bool) -> Script:
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        response = client.get(url)
        response.raise_for_status()
        return Script(url, response.num_bytes_downloaded, len(response.content), before_cut)


def _kib(size: int) -> str:
    return f"{size / 1024:7.1f} KiB"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--ready", help="CSS selector: the page shows what matters once it shows")
    parser.add_argument("--wait", help="CSS selector: the page is complete once it shows")
    parser.add_argument("--baseline", help="URL of a blank Reflex page, measured in the same run")
    return parser.parse_args()


if __name__ == "__main__":
    main()
