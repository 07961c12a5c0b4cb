"""How much JavaScript a page makes the browser download, gzip-compressed as served.

Loads the page in Chromium (signing in first when asked), waits until it has rendered what
matters (e.g. the Plotly chart, which is imported lazily), and lists every JavaScript file the
page fetched. Each file is then requested again with `Accept-Encoding: gzip` only, so the
figure is the gzip transfer size whatever encodings the browser would negotiate; the
uncompressed size is printed next to it.

    python bench/page_weight.py http://localhost:3000/credits \\
        --email demo@example.com --password demo-password --wait "#usage-chart .barlayer"
    python bench/page_weight.py http://localhost:3001/   # a blank `reflex init` app

A measurement tool for bench/README.md, not a test: it prints figures and asserts nothing.
"""

import argparse
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import sync_playwright

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"]
SETTLE_MS = 1500


@dataclass(frozen=True)
class Script:
    """One JavaScript file: where from, bytes on the wire (gzip) and bytes decoded."""

    url: str
    gzip_bytes: int
    raw_bytes: int


def main() -> None:
    args = _arguments()
    urls = scripts_loaded_by(args.url, args.email, args.password, args.wait)
    scripts = [_measure(url) for url in urls]
    for script in sorted(scripts, key=lambda s: -s.gzip_bytes):
        name = urlsplit(script.url).path.rsplit("/", 1)[-1]
        print(f"{script.gzip_bytes / 1024:9.1f} KiB gz {script.raw_bytes / 1024:9.1f} KiB  {name}")
    total_gzip = sum(s.gzip_bytes for s in scripts)
    total_raw = sum(s.raw_bytes for s in scripts)
    print(
        f"{len(scripts)} scripts: {total_gzip / 1024:.1f} KiB gzip transferred, "
        f"{total_raw / 1024:.1f} KiB uncompressed"
    )


def scripts_loaded_by(
    url: str, email: str | None, password: str | None, wait_selector: str | None
) -> list[str]:
    """Every .js URL a fresh browser fetched to render the page (cache empty)."""
    seen: dict[str, None] = {}
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
            "response",
            lambda r: seen.setdefault(r.url) if urlsplit(r.url).path.endswith(".js") else None,
        )
        page.goto(url, wait_until="networkidle")
        if wait_selector:
            page.wait_for_selector(wait_selector, timeout=60_000)
        page.wait_for_timeout(SETTLE_MS)
        browser.close()
    return list(seen)


def _measure(url: str) -> Script:
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        response = client.get(url)
        response.raise_for_status()
        return Script(url, response.num_bytes_downloaded, len(response.content))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("--wait", help="CSS selector to wait for before counting")
    return parser.parse_args()


if __name__ == "__main__":
    main()
