"""The credits UI pieces: stateless components that views bind to states."""
