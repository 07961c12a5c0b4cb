"""The API served by the real app process (`reflex run --env prod --backend-only`) over HTTP."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.app_server import RunningApp, prepare_database, running_app


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The backend over a freshly migrated SQLite file."""
    directory = tmp_path_factory.mktemp("api")
    database_url = f"sqlite:///{directory / 'credits.db'}"
    prepare_database(database_url, "migrate")
    with running_app(database_url, Path(directory), backend_only=True) as app:
        yield app


def test_health_reports_the_database_reachable(api: RunningApp) -> None:
    response = httpx.get(f"{api.base_url}/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_document_and_interactive_docs_are_served_under_api(api: RunningApp) -> None:
    document = httpx.get(f"{api.base_url}/api/openapi.json").json()
    assert "/api/health" in document["paths"]
    assert httpx.get(f"{api.base_url}/api/docs").status_code == 200
