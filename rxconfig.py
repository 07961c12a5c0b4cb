"""Reflex configuration. The app's own database settings live in credits_app/settings.py.

The number of backend worker processes comes from the connection budget (`db.pool_plan`),
not from Reflex's 2 x cores + 1: `reflex run` starts Granian with `GRANIAN_WORKERS`, which
we set here (an explicit GRANIAN_WORKERS still wins).
"""

import reflex as rx

from credits_app import styles
from credits_app.db import pool_plan
from credits_app.settings import allowed_origins, get_settings, publish_to_environment

publish_to_environment("GRANIAN_WORKERS", str(pool_plan(get_settings()).workers))

config = rx.Config(
    app_name="credits_app",
    plugins=[rx.plugins.RadixThemesPlugin(theme=styles.theme())],
    disable_plugins=[rx.plugins.SitemapPlugin],
    redis_url=get_settings().redis_url,
    cors_allowed_origins=allowed_origins(get_settings()),
    telemetry_enabled=False,
    show_built_with_reflex=False,
)
