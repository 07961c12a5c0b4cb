"""The API served by the real app process (`reflex run --env prod --backend-only`) over HTTP."""

import re

import httpx

from tests.support.app_server import RunningApp


def test_health_reports_the_database_reachable(api_server: RunningApp) -> None:
    response = httpx.get(f"{api_server.base_url}/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_document_and_interactive_docs_are_served_under_api(api_server: RunningApp) -> None:
    document = httpx.get(f"{api_server.base_url}/api/openapi.json").json()
    assert "/api/health" in document["paths"]
    assert httpx.get(f"{api_server.base_url}/api/docs").status_code == 200


def test_interactive_docs_load_every_asset_from_the_app_itself(api_server: RunningApp) -> None:
    """Offline, a CDN-hosted Swagger UI is a blank page: every script and style is local."""
    page = httpx.get(f"{api_server.base_url}/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(url.startswith("/api/docs/assets/") for url in assets), assets
    for url in assets:
        response = httpx.get(f"{api_server.base_url}{url}")
        assert response.status_code == 200 and len(response.content) > 0, url
    script = httpx.get(f"{api_server.base_url}/api/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in script
