"""Alembic's environment: runs on the connection :func:`database.schema.upgrade` gives
(``wayfinding db upgrade``, or any store opening a database), or on ``sqlalchemy.url``
when Alembic's own command line is used."""

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")
if connection is None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
