"""The API served by the real app process (`reflex run --env prod --backend-only`) over HTTP."""

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
