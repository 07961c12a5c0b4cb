"""Thin pages: a route, a title, an on_load and a layout, via the page template."""
