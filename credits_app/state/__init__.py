"""Reflex states: thin doors onto the same services the REST API uses."""
