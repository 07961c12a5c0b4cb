"""When a section is still loading: its figures do not belong to the wallet on screen yet.

Every data state remembers the `WalletContextState.key` it loaded for ("" before its first
load). Comparing the two alone is not enough: before the websocket delivers anything, both
are "" and would look equal, and the page would show the states' defaults as if they were
data. So "" counts as not loaded.
"""

import reflex as rx

from credits_app.state.wallet_context_state import WalletContextState


def not_loaded(loaded_for: rx.Var[str]) -> rx.Var[bool]:
    """True until `loaded_for` names the wallet in context."""
    return (loaded_for == "") | (loaded_for != WalletContextState.key)
