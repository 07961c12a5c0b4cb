"""The simulator's page for a setup-mode Checkout Session: pick one of Stripe's test cards.

Plain server-rendered HTML like the simulator's payment page, with the same test-mode banner.
The card list is the simulator's own (`stripe_simulator_objects.TEST_CARDS`), each with what
an off-session charge on it will do, so a newcomer can try a decline or an authentication.
"""

from html import escape

from credits_app.billing.stripe_simulator_objects import TEST_CARDS

CARD_FIELD = "cardNumber"
OUTCOMES = {
    "succeeded": "charges succeed",
    "card_declined": "charges are declined",
    "authentication_required": "charges need authentication",
}


def setup_page(session_id: str, csrf_field: str, csrf: str) -> str:
    """The HTML of the setup page for `session_id` (its values already escaped by the caller)."""
    options = "\n".join(
        f'<option value="{number}"{" selected" if index == 0 else ""}>'
        f"{escape(card.brand.title())} {number[:4]} … {number[-4:]} — "
        f"{OUTCOMES.get(card.outcome, card.outcome)}</option>"
        for index, (number, card) in enumerate(TEST_CARDS.items())
    )
    return _PAGE.format(
        session_id=escape(session_id),
        field=csrf_field,
        csrf=csrf,
        card_field=CARD_FIELD,
        options=options,
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Save a card (test) — Universal Credits</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #f4f4f5; margin: 0; color: #18181b; }}
 .banner {{ background: #facc15; padding: 12px; text-align: center; font-weight: 700; }}
 main {{ max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px;
        padding: 32px; box-shadow: 0 4px 24px rgba(0,0,0,.08); }}
 label {{ display: block; font-weight: 600; margin: 16px 0 8px; }}
 select {{ width: 100%; padding: 10px; border-radius: 8px; font-size: 1rem; }}
 button {{ width: 100%; padding: 12px; border-radius: 8px; border: 0; font-size: 1rem;
          cursor: pointer; margin-top: 8px; }}
 .pay {{ background: #4f46e5; color: #fff; }} .cancel {{ background: #e4e4e7; }}
 small {{ color: #71717a; display: block; margin-top: 16px; }}
</style></head>
<body><div class="banner" role="alert">Test mode — no real card is saved</div>
<main><h1>Save a card</h1><p>For auto-recharge: the card is charged off-session when the
balance runs low.</p>
<form method="post" action="/api/stripe-simulator/checkout/{session_id}/save-card">
<input type="hidden" name="{field}" value="{csrf}">
<label for="card">Test card</label>
<select id="card" name="{card_field}">
{options}
</select>
<button class="pay" type="submit">Save card (test)</button></form>
<form method="post" action="/api/stripe-simulator/checkout/{session_id}/cancel">
<button class="cancel" type="submit">Cancel</button></form>
<small>Local Stripe simulator: Stripe's test cards only. Set STRIPE_SECRET_KEY (and unset
STRIPE_SIMULATOR) to use real Stripe.</small>
</main></body></html>"""
