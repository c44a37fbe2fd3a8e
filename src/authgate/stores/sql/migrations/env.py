"""Alembic environment for authgate's schema.

Run through :mod:`authgate.stores.sql.migrate`, which hands over an open
connection inside a transaction; there is no ``alembic.ini`` and no offline
(SQL script) mode.
"""

from __future__ import annotations

from alembic import context

from authgate.stores.sql.migrate import VERSION_TABLE
from authgate.stores.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run authgate's migrations with authgate.stores.sql.migrate.upgrade() "
        "or `authgate db upgrade`, not the alembic command"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
