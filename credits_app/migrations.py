"""Apply the Alembic migrations: the one way every database here gets its schema.

The CLI, the tests and the benchmark all call `upgrade_to_head`, so each builds the schema
exactly as production does.
"""

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Engine

from alembic import command

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    """Alembic's config for this project; alembic/env.py supplies the connection."""
    return Config(str(PROJECT_ROOT / "alembic.ini"))


def upgrade_to_head(engine: Engine, *, log: bool = True) -> None:
    """`alembic upgrade head` on the engine's database, in one transaction."""
    config = alembic_config()
    config.attributes["configure_logger"] = log
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The app's statement_timeout is for requests; a migration may rewrite a table.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
