"""Buying credits: the package catalog, Stripe Checkout and fulfillment."""
