"""The local checkout simulator's pages (embedded default only; 404 once a Stripe key is set).

A plain server-rendered page, deliberately unlike the app, that says it is test mode. "Pay"
completes the simulated session and delivers a signed event to the real webhook code; "Cancel"
returns to the cancel URL, as Stripe's own page would.
"""

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from credits_app.billing.stripe_gateway import simulator_enabled
from credits_app.billing.stripe_simulator import find_session, pay_and_notify

router = APIRouter(include_in_schema=False)
PREFIX = "/stripe-simulator/checkout/{session_id}"


class SimulatorUnavailable(HTTPException):
    """No such simulated session, or the simulator is off because a real key is configured.

    A plain HTTP 404 (answered as code `not_found` by the API's one error handler): as a domain
    error with an unmapped code it used to come back as 400, and a 404 is what a page that
    does not exist (or no longer exists, once paid) must answer.
    """

    def __init__(self) -> None:
        message = "No such test checkout (the simulator only runs without a Stripe key)."
        super().__init__(status_code=404, detail=message)


@router.get(PREFIX, response_class=HTMLResponse)
def checkout_page(session_id: str) -> HTMLResponse:
    """The test-mode checkout page for one session."""
    session = _open_session(session_id)
    item = escape(str((session["line_items_summary"] or ["Credits"])[0]))
    price = f"{session['amount_total'] / 100:,.2f} {escape(str(session['currency'])).upper()}"
    return HTMLResponse(_PAGE.format(item=item, price=price, session_id=escape(session_id)))


@router.post(PREFIX + "/pay")
async def pay(session_id: str) -> RedirectResponse:
    """Complete the payment and go to the success URL (the credits are already booked)."""
    _open_session(session_id)
    success_url = await run_in_threadpool(pay_and_notify, session_id)
    return RedirectResponse(success_url, status_code=303)


@router.post(PREFIX + "/cancel")
def cancel(session_id: str) -> RedirectResponse:
    """Leave without paying."""
    return RedirectResponse(str(_open_session(session_id)["cancel_url"]), status_code=303)


def _open_session(session_id: str) -> dict[str, Any]:
    session = find_session(session_id) if simulator_enabled() else None
    if session is None or session["status"] != "open":
        raise SimulatorUnavailable()
    return session


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test checkout — Universal Credits</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #f4f4f5; margin: 0; color: #18181b; }}
 .banner {{ background: #facc15; padding: 12px; text-align: center; font-weight: 700; }}
 main {{ max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px;
        padding: 32px; box-shadow: 0 4px 24px rgba(0,0,0,.08); }}
 .price {{ font-size: 2rem; font-weight: 700; margin: 8px 0 24px; }}
 button {{ width: 100%; padding: 12px; border-radius: 8px; border: 0; font-size: 1rem;
          cursor: pointer; margin-top: 8px; }}
 .pay {{ background: #4f46e5; color: #fff; }} .cancel {{ background: #e4e4e7; }}
 small {{ color: #71717a; display: block; margin-top: 16px; }}
</style></head>
<body><div class="banner" role="alert">Test mode — no real payment</div>
<main><h1>Checkout</h1><p>{item}</p><div class="price">{price}</div>
<form method="post" action="/api/stripe-simulator/checkout/{session_id}/pay">
<button class="pay" type="submit">Pay (test)</button></form>
<form method="post" action="/api/stripe-simulator/checkout/{session_id}/cancel">
<button class="cancel" type="submit">Cancel</button></form>
<small>Local Stripe simulator: no card is charged. Set STRIPE_SECRET_KEY to use real Stripe.</small>
</main></body></html>"""
