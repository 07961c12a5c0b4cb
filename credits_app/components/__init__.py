"""Stateless UI building blocks, styled only from `credits_app.styles`."""
