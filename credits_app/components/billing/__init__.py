"""The Billing page's building blocks (stateless; the view binds them to states)."""
