"""GET /api/docs: Swagger UI served entirely from this app, so the docs work offline.

FastAPI's default page loads Swagger UI's script and stylesheet from a CDN; without internet
the page stays blank ("SwaggerUIBundle is not defined"). `swagger-ui-bundle-v2` ships Swagger
UI 5 (which reads FastAPI's OpenAPI 3.1); `mount_docs_assets` serves it under /api/docs/assets.
"""

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

ASSETS_PATH = "/api/docs/assets"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """The interactive API reference over /api/openapi.json."""
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Universal Credits API",
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
    )


def mount_docs_assets(api: FastAPI) -> None:
    """Serve Swagger UI's own files (script, styles, icons) from the installed package."""
    api.mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
