"""One module per resource; each route is a thin door onto a service function."""
