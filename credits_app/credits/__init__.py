"""Domain core: wallets, the ledger and credit operations. No Reflex, Starlette or Stripe."""
