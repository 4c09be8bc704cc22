"""Alembic environment: the URL comes from the caller (Store.migrate), never from a file."""

from alembic import context

from provisioner.store.db import make_engine
from provisioner.store.migrations_registry import all_metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = make_engine(url, immediate=False) if url else None
if engine is None:
    raise RuntimeError("migrate() must pass sqlalchemy.url")
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=all_metadata(),
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
