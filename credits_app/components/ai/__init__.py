"""AI UI pieces: the 2Bot assistant widget, stateless like the credits components."""
