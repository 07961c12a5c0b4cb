"""The page template decorator shared by every page."""

from credits_app.templates.page_template import template

__all__ = ["template"]
