"""Alerts (DESIGN §4b): events about a wallet, told as in-app notifications, signed outgoing
webhooks and email. No Reflex or Starlette in here.

`alerts.after_balance_move` is called by the ledger's write path inside the balance move's
transaction; `publish.publish` writes the event, its notifications, and the outbox jobs that
deliver it (`delivery.py` for webhooks, `email.py` for mail).
"""
