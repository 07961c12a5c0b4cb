"""Users, organizations and memberships. No Reflex or Starlette here."""
