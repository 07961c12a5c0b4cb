"""The Reflex app: the pages plus the REST API mounted through `api_transformer`."""

import reflex as rx

from credits_app import styles
from credits_app.api import api
from credits_app.jobs.embedded import embedded_worker
from credits_app.pages import auth, credits  # noqa: F401  (registers the pages)

app = rx.App(
    api_transformer=api,
    style=styles.BASE_STYLE,
    stylesheets=styles.STYLESHEETS,
    toaster=rx.toast.provider(position=styles.TOAST_POSITION),
    # Sign-in/out helpers for the browser (the password never crosses the websocket).
    head_components=[rx.script(src="/uc-session.js", defer=True)],
)
# The embedded default runs the job worker in the app process (JOBS_WORKER_IN_APP, DESIGN §8).
app.register_lifespan_task(embedded_worker)
