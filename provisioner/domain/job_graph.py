"""A job's steps as a graph (pure logic): what each step of one job's journal needs, which
steps may start now, and the order an undo takes them back in.

The graph is derived from the job's kind and the step names its journal holds, never
stored: a journal written before a step gained a need (or without an optional step such as
`cert_prod`) still gets a graph, with a need the job lacks replaced by that step's own needs.
A job whose steps the specs do not describe as a graph runs one step after another.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from provisioner.domain.jobs import StepSpec, StepStatus, hosting_graph

Needs = Mapping[str, tuple[str, ...]]


def chain(names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each step needs the one before it: a job run strictly in order."""
    return {name: ((names[i - 1],) if i else ()) for i, name in enumerate(names)}


def _specs_for(kind: str, names: Collection[str]) -> dict[str, StepSpec] | None:
    """The step specs that describe this job as a graph; None: run it as a chain."""
    if kind in ("provision", "provision_dev") and "site_dev" in names:
        specs = hosting_graph()
        if all(name in specs for name in names):
            return specs
    return None


def job_graph(kind: str, names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """What each step of a job needs, for the steps it has (in journal order)."""
    specs = _specs_for(kind, names)
    if specs is None:
        return chain(names)
    present = set(names)

    def resolve(need: str, seen: frozenset[str]) -> tuple[str, ...]:
        if need in present:
            return (need,)
        if need in seen or need not in specs:
            return ()
        return tuple(n for inner in specs[need].needs for n in resolve(inner, seen | {need}))

    graph: dict[str, tuple[str, ...]] = {}
    before: dict[str, set[str]] = {}  # every step a step needs, directly or not
    for name in names:
        found = [n for need in specs[name].needs for n in resolve(need, frozenset({name}))]
        direct = list(dict.fromkeys(found))
        declared = set(specs[name].needs)
        # A need passed through that another need already implies is dropped.
        graph[name] = tuple(
            n for n in direct
            if n in declared or not any(n in before.get(m, ()) for m in direct if m != n)
        )  # fmt: skip
        before[name] = set(direct).union(*(before.get(m, set()) for m in direct))
    return graph


def check_order(names: Sequence[str], needs: Needs) -> None:
    """Raise ValueError unless every step's needs come before it in `names` (so the journal's
    positions are an order that respects the graph, and the reverse of it is an undo order)."""
    seen: set[str] = set()
    for name in names:
        missing = [need for need in needs.get(name, ()) if need not in seen]
        if missing:
            raise ValueError(f"step {name} needs {missing}, which do not come before it")
        seen.add(name)


def ready_steps(
    names: Sequence[str],
    needs: Needs,
    statuses: Mapping[str, StepStatus],
    started: Collection[str],
) -> list[str]:
    """Steps that may start now, in journal order: not done, not started in this run, and
    every need done."""
    done = {name for name, status in statuses.items() if status == StepStatus.DONE}
    return [
        name for name in names
        if name not in done and name not in started
        and all(need in done for need in needs.get(name, ()))
    ]  # fmt: skip


def undo_order(names: Sequence[str], needs: Needs) -> list[str]:
    """Reverse dependency order: a step is taken back only after every step that needed it
    (directly or not). Among steps free at the same time, the later journal position first."""
    dependants: dict[str, set[str]] = {name: set() for name in names}
    for name in names:
        for need in needs.get(name, ()):
            if need in dependants:
                dependants[need].add(name)
    position = {name: i for i, name in enumerate(names)}
    left = set(names)
    order: list[str] = []
    while left:
        free = [name for name in left if not dependants[name] & left]
        if not free:  # a cycle (never in the specs): fall back to reverse positions
            free = list(left)
        name = max(free, key=position.__getitem__)
        order.append(name)
        left.discard(name)
    return order


def in_undo_order(names: Sequence[str], needs: Needs, wanted: Iterable[str]) -> list[str]:
    """The `wanted` steps of a job, in the order an undo takes them back."""
    keep = set(wanted)
    return [name for name in undo_order(names, needs) if name in keep]
