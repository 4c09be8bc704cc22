"""Alembic environment: the URL comes from the caller (Store.migrate), never from a file."""

import importlib
import pkgutil

from alembic import context

import provisioner.store
from provisioner.store.db import make_engine
from provisioner.store.models import Base

# Every provisioner/store/models*.py module registers its tables on Base.metadata.
for module in pkgutil.iter_modules(provisioner.store.__path__):
    if module.name.startswith("models"):
        importlib.import_module(f"provisioner.store.{module.name}")

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = make_engine(url, immediate=False) if url else None
if engine is None:
    raise RuntimeError("migrate() must pass sqlalchemy.url")
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
