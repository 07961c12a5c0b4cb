"""Calling the browser-side session helper (assets/uc-session.js) safely from Reflex events.

The helper loads with the page's head; a click right after the first paint (or a slow
machine) can arrive before it is defined. Every call therefore waits for it briefly instead of
failing silently and leaving a form stuck in its "sending" state.
"""

WAIT_FOR_HELPER_JS = (
    "(window.ucSession ? Promise.resolve(window.ucSession) : new Promise((resolve) => {"
    " const timer = setInterval(() => { if (window.ucSession) {"
    " clearInterval(timer); resolve(window.ucSession); } }, 50); }))"
)


def session_call(method_call: str) -> str:
    """JS that runs `ucSession.<method_call>` once the helper is loaded, e.g. `logout()`."""
    return f"{WAIT_FOR_HELPER_JS}.then((session) => session.{method_call})"
