"""2Bot AI: providers (OpenAI-compatible HTTP or the local demo model) and the credited chat."""
