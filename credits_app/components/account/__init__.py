"""Account page pieces: profile, password, sessions, API tokens."""
