"""Stateless notification UI: the bell with its panel."""
