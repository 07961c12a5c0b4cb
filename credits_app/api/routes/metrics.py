"""GET /metrics: Prometheus exposition for all worker processes of this instance."""

from fastapi import APIRouter
from fastapi.responses import Response

from credits_app.observability.metrics import render_metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """Scraped by Prometheus; not under /api because it is for operators, not clients."""
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
