"""Tables by aggregate. Importing this package registers every table on Base."""

from provisioner.store.models import (  # noqa: F401 - registers the tables
    audit,
    base,
    counters,
    dns,
    existing_sites,
    hosting,
    jobs,
    leases,
    letters,
    liveness,
    locks,
    people,
    procedures,
    requests,
)
