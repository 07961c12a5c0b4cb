"""Page sections that bind the stateless components to the states."""
