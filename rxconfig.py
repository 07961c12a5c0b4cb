"""Reflex configuration. The app's own database settings live in credits_app/settings.py."""

import reflex as rx

from credits_app import styles
from credits_app.settings import allowed_origins, get_settings

config = rx.Config(
    app_name="credits_app",
    plugins=[rx.plugins.RadixThemesPlugin(theme=styles.theme())],
    disable_plugins=[rx.plugins.SitemapPlugin],
    redis_url=get_settings().redis_url,
    cors_allowed_origins=allowed_origins(get_settings()),
    telemetry_enabled=False,
    show_built_with_reflex=False,
)
