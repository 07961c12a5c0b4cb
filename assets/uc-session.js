// Browser side of sign-in, sign-up and sign-out.
//
// Passwords go from the form straight to the REST API (never through the Reflex websocket),
// and the API answers with the HttpOnly session cookie. The websocket only reads cookies when
// it connects, so after signing in or out we load the next page in full: the new connection
// then carries the new cookie. Loaded once per page from `rx.App(head_components=...)`.
window.ucSession = (() => {
  const DEFAULT_NEXT = "/credits";

  /** The `next` query parameter when it is a path on this site, else the credits page. */
  const safeNext = () => {
    const next = new URLSearchParams(window.location.search).get("next") || DEFAULT_NEXT;
    const local = next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\");
    return local && !next.startsWith("/login") && !next.startsWith("/register")
      ? next
      : DEFAULT_NEXT;
  };

  /** The API's error message ({error: {code, message, details}}), in words for a person. */
  const errorMessage = async (response) => {
    try {
      const body = await response.json();
      const wait = body?.error?.details?.retryAfterSeconds;
      if (body?.error?.message && Number.isFinite(wait)) {
        // Say when, in the person's own clock: "… Try again in 15 minutes (at 10:42)."
        const at = new Date(Date.now() + wait * 1000).toLocaleTimeString([], {
          hour: "2-digit",
          minute: "2-digit",
        });
        return `${body.error.message.replace(/\.$/, "")} (at ${at}).`;
      }
      if (body?.error?.message) return body.error.message;
    } catch (_) {
      // Not JSON: fall through to the generic message.
    }
    return `Something went wrong (HTTP ${response.status}). Please try again.`;
  };

  /** POST the form as JSON; on success go to `next`, else resolve to the error message. */
  const submit = async (formId, url) => {
    const form = document.getElementById(formId);
    if (!form) return "The form is not on the page; reload and try again.";
    const body = JSON.stringify(Object.fromEntries(new FormData(form).entries()));
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body,
      });
    } catch (_) {
      return "Cannot reach the server. Check your connection and try again.";
    }
    if (!response.ok) return errorMessage(response);
    window.location.assign(safeNext());
    return "";
  };

  /** The double-submit CSRF token the API set next to the session cookie. */
  const csrfToken = () => {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("uc_csrf="));
    return cookie ? decodeURIComponent(cookie.slice("uc_csrf=".length)) : "";
  };

  /** POST a form of the signed-in user as JSON (with the CSRF header); "" on success, else
   * the API's error message. Used for the password change: it never crosses the websocket. */
  const send = async (formId, url) => {
    const form = document.getElementById(formId);
    if (!form) return "The form is not on the page; reload and try again.";
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        credentials: "same-origin",
        body: JSON.stringify(Object.fromEntries(new FormData(form).entries())),
      });
    } catch (_) {
      return "Cannot reach the server. Check your connection and try again.";
    }
    if (!response.ok) return errorMessage(response);
    form.reset();
    return "";
  };

  /** End every session of this user (all browsers and scripts' sessions), then sign in again. */
  const logoutEverywhere = async () => {
    try {
      await fetch("/api/auth/logout-all", {
        method: "POST",
        headers: { "X-CSRF-Token": csrfToken() },
        credentials: "same-origin",
      });
    } catch (_) {
      return "Cannot reach the server. Check your connection and try again.";
    }
    window.location.assign("/login");
    return "";
  };

  /** End the session on the server (best effort) and start over at the login page. */
  const logout = async () => {
    try {
      await fetch("/api/auth/logout", {
        method: "POST",
        headers: { "X-CSRF-Token": csrfToken() },
        credentials: "same-origin",
      });
    } catch (_) {
      // Offline: the cookie expires by itself; still leave the private pages.
    }
    window.location.assign("/login");
  };

  /** Leave the single-page app for another URL (Checkout), which rx.redirect cannot do. */
  const go = (url) => {
    window.location.assign(url);
  };

  return { submit, send, logout, logoutEverywhere, go };
})();

// Focus goes back where it came from. When a dialog or panel closes (Escape, its close
// button), the element holding focus disappears (removed or hidden) and browsers drop focus on
// <body>, so a keyboard user starts over at the top of the page. Remember the last focused
// element outside any dialog, and when focus is lost because its element went away, return it.
(() => {
  const DIALOGS = '[role="dialog"], [role="alertdialog"], #assistant-panel';
  let opener = null;
  let focused = null;
  document.addEventListener("focusin", (event) => {
    focused = event.target;
    if (!(event.target instanceof Element) || !event.target.closest(DIALOGS)) opener = event.target;
  });
  const restore = () => {
    const lost = document.activeElement === document.body || document.activeElement === null;
    const gone = focused && (!focused.isConnected || focused.getClientRects().length === 0);
    // The opener may have been re-rendered meanwhile (a new node with the same id).
    const target = opener?.isConnected ? opener : opener?.id && document.getElementById(opener.id);
    if (lost && gone && target && target !== focused) target.focus();
  };
  new MutationObserver(() => requestAnimationFrame(restore)).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["class", "style", "hidden", "data-state"],
  });
})();
