"""Password hashing with argon2 (pwdlib's recommended settings)."""

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()


def hash_password(password: str) -> str:
    """An argon2id hash safe to store."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when the password matches the stored hash."""
    return _hasher.verify(password, password_hash)
