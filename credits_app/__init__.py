"""Universal Credits: one credit currency for personal and organization wallets."""
