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

  return { submit, logout, go };
})();
