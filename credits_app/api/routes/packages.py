"""GET /api/credits/packages: the catalog, open to anyone (prices are public)."""

from fastapi import Response

from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import PackageOut
from credits_app.billing.packages import list_active_packages

router = api_router("credits")


@router.get("/credits/packages", response_model=list[PackageOut])
def packages() -> Response:
    """The packages on sale; a purchase names one by id and the server prices it."""
    return respond([PackageOut.of(package) for package in list_active_packages()])
