"""The local checkout simulator's pages (STRIPE_SIMULATOR=true only; 404 otherwise or once a
Stripe key is set).

A plain server-rendered page, deliberately unlike the app, that says it is test mode. The page
and "Pay" are for the purchase's own signed-in buyer only (401 signed out, 404 for anyone else,
as if it did not exist); a cookie-signed Pay must send back the CSRF token the page put in its
form. "Pay" completes the simulated session and delivers a signed event to the real webhook
code; "Cancel" returns to the cancel URL, as Stripe's own page would.
"""

from html import escape
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from credits_app.api.deps import form_poster, signed_in_user
from credits_app.api.routes.stripe_simulator_setup_page import CARD_FIELD, setup_page
from credits_app.auth.sessions import CSRF_COOKIE
from credits_app.billing.stripe_gateway import simulator_enabled
from credits_app.billing.stripe_simulator import (
    find_session,
    pay_and_notify,
    require_buyer,
    save_card_and_notify,
)

router = APIRouter(include_in_schema=False)
PREFIX = "/stripe-simulator/checkout/{session_id}"
CSRF_FIELD = "csrfToken"


class SimulatorUnavailable(HTTPException):
    """No such simulated session (or not yours), or the simulator is off.

    A plain HTTP 404 (answered as code `not_found` by the API's one error handler): as a domain
    error with an unmapped code it used to come back as 400, and a 404 is what a page that
    does not exist (or no longer exists, once paid) must answer.
    """

    def __init__(self) -> None:
        message = "No such test checkout (the simulator runs only with STRIPE_SIMULATOR=true)."
        super().__init__(status_code=404, detail=message)


@router.get(PREFIX, response_class=HTMLResponse)
def checkout_page(session_id: str, request: Request) -> HTMLResponse:
    """The test-mode checkout page for one session, shown to its buyer."""
    session = _open_session(session_id)
    _require_buyer(session_id, signed_in_user(request).id)
    csrf = escape(request.cookies.get(CSRF_COOKIE, ""), quote=True)
    if session["mode"] == "setup":
        return HTMLResponse(setup_page(session_id, CSRF_FIELD, csrf))
    item = escape(str((session["line_items_summary"] or ["Credits"])[0]))
    price = f"{session['amount_total'] / 100:,.2f} {escape(str(session['currency'])).upper()}"
    page = _PAGE.format(
        item=item, price=price, session_id=escape(session_id), field=CSRF_FIELD, csrf=csrf
    )
    return HTMLResponse(page)


@router.post(PREFIX + "/pay")
async def pay(session_id: str, request: Request) -> RedirectResponse:
    """Complete the payment and go to the success URL (the credits are already booked)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    form_token = next(iter(form.get(CSRF_FIELD, [])), None)
    success_url = await run_in_threadpool(_pay, session_id, request, form_token)
    return RedirectResponse(success_url, status_code=303)


@router.post(PREFIX + "/save-card")
async def save_card(session_id: str, request: Request) -> RedirectResponse:
    """Save the chosen test card on a setup session and go to the success URL."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    form_token = next(iter(form.get(CSRF_FIELD, [])), None)
    number = next(iter(form.get(CARD_FIELD, [])), "")
    success_url = await run_in_threadpool(_save_card, session_id, request, form_token, number)
    return RedirectResponse(success_url, status_code=303)


@router.post(PREFIX + "/cancel")
def cancel(session_id: str) -> RedirectResponse:
    """Leave without paying."""
    return RedirectResponse(str(_open_session(session_id)["cancel_url"]), status_code=303)


def _pay(session_id: str, request: Request, form_token: str | None) -> str:
    _open_session(session_id)
    payer = form_poster(request, form_token)
    try:
        return pay_and_notify(session_id, payer.id)
    except LookupError:
        raise SimulatorUnavailable() from None


def _save_card(session_id: str, request: Request, form_token: str | None, number: str) -> str:
    _open_session(session_id)
    user = form_poster(request, form_token)
    try:
        return save_card_and_notify(session_id, user.id, number)
    except LookupError:
        raise SimulatorUnavailable() from None
    except ValueError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None


def _open_session(session_id: str) -> dict[str, Any]:
    session = find_session(session_id) if simulator_enabled() else None
    if session is None or session["status"] != "open":
        raise SimulatorUnavailable()
    return session


def _require_buyer(session_id: str, user_id: int) -> None:
    try:
        require_buyer(session_id, user_id)
    except LookupError:
        raise SimulatorUnavailable() from None


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
<input type="hidden" name="{field}" value="{csrf}">
<button class="pay" type="submit">Pay (test)</button></form>
<form method="post" action="/api/stripe-simulator/checkout/{session_id}/cancel">
<button class="cancel" type="submit">Cancel</button></form>
<small>Local Stripe simulator: no card is charged. Set STRIPE_SECRET_KEY (and unset
STRIPE_SIMULATOR) to use real Stripe.</small>
</main></body></html>"""
