"""GET /api/credits/packages and /api/credits/pricing: the catalog and custom-amount quotes,
open to anyone (prices are public)."""

from typing import Annotated

from fastapi import Query, Response

from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import PackageOut, QuoteOut
from credits_app.billing.packages import list_active_packages
from credits_app.billing.pricing import quote

router = api_router("credits")


@router.get("/credits/packages", response_model=list[PackageOut])
def packages() -> Response:
    """The packages on sale; a purchase names one by id and the server prices it."""
    return respond([PackageOut.of(package) for package in list_active_packages()])


@router.get("/credits/pricing", response_model=QuoteOut)
def pricing(
    credits: Annotated[
        str,
        Query(
            max_length=40,
            description="Whole credits to price; outside the allowed range a 400",
            json_schema_extra={"pattern": "^[0-9]+$"},
        ),
    ],
) -> Response:
    """The price of a custom amount from the volume tiers: what `purchase {credits}` charges."""
    return respond(QuoteOut.of(quote(credits)))
