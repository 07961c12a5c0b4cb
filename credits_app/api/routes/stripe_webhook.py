"""POST /api/stripe/webhook: Stripe's deliveries, verified on the raw body before anything else."""

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.billing.webhooks import handle_stripe_webhook

router = api_router("stripe")


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request) -> Response:
    """2xx once handled (or already handled); 400 for a bad signature, with nothing written."""
    payload = await request.body()
    signature = request.headers.get("stripe-signature")
    outcome = await run_in_threadpool(handle_stripe_webhook, payload, signature)
    return respond({"received": True, "outcome": outcome})
