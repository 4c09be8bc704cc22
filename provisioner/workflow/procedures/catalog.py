"""The SOP definitions a Diskominfo uses: the shipped presets, an admin's edits as new
versions, and which SOP each request type follows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from provisioner.domain.actors import Action, Actor, ensure_role
from provisioner.domain.bilingual import Text
from provisioner.domain.errors import InvalidInput, NotFound
from provisioner.domain.sop import RequestType, SopDefinition, parse_definition
from provisioner.store.db import Store
from provisioner.store.models.procedures import SopChoice, SopVersion
from provisioner.store.repositories import audit as audit_repo, procedures as repo

# Until an admin chooses, each request type follows this preset.
DEFAULT_CHOICE: dict[RequestType, str] = {
    RequestType.SUBDOMAIN: "default",
    RequestType.APPLICATION_RECOMMENDATION: "kaltara-rekomendasi",
    RequestType.APPLICATION_DEVELOPMENT: "batam-aplikasi",
    RequestType.CONSULTATION: "tarakan-konsultasi",
}


@dataclass(frozen=True)
class SopSummary:
    key: str
    version: int
    request_type: RequestType
    name: Text
    source: str
    steps: int
    chosen_for: tuple[RequestType, ...]
    edited: bool  # an admin's version, not the shipped preset


@dataclass(frozen=True)
class SopCatalog:
    store: Store
    presets: Mapping[str, SopDefinition]
    parse_text: Callable[[str], SopDefinition]  # YAML (or JSON) an admin edits → definition
    to_text: Callable[[SopDefinition], str]

    def latest(self, key: str) -> SopDefinition:
        with self.store.read() as s:
            row = repo.latest_version(s, key)
        if row is not None:
            return parse_definition(row.body)
        if key in self.presets:
            return self.presets[key]
        raise NotFound(Text(f"SOP {key} tidak ada", f"No SOP {key}"))

    def version(self, key: str, version: int) -> SopDefinition:
        with self.store.read() as s:
            row = repo.version(s, key, version)
        if row is not None:
            return parse_definition(row.body)
        preset = self.presets.get(key)
        if preset is not None and preset.version == version:
            return preset
        raise NotFound(
            Text(f"SOP {key} versi {version} tidak ada", f"No SOP {key} version {version}")
        )

    def as_yaml(self, key: str) -> str:
        return self.to_text(self.latest(key))

    def chosen(self, request_type: RequestType) -> SopDefinition:
        return self.latest(self._choices().get(request_type, DEFAULT_CHOICE[request_type]))

    def _choices(self) -> dict[RequestType, str]:
        with self.store.read() as s:
            return {RequestType(c.request_type): c.key for c in repo.choices(s)}

    def summaries(self) -> list[SopSummary]:
        with self.store.read() as s:
            edited = repo.edited_keys(s)
        choices = {**DEFAULT_CHOICE, **self._choices()}
        keys = sorted(set(self.presets) | edited)
        out = []
        for key in keys:
            d = self.latest(key)
            out.append(
                SopSummary(
                    key=d.key,
                    version=d.version,
                    request_type=d.request_type,
                    name=d.name.text,
                    source=d.source,
                    steps=len(d.steps),
                    chosen_for=tuple(t for t, k in choices.items() if k == key),
                    edited=key in edited,
                )
            )
        return out

    def save(self, text: str, actor: Actor, *, key: str | None = None) -> SopDefinition:
        """Store an edit as the next version of its key; requests under way keep theirs."""
        ensure_role(actor, Action.EDIT_SOP)
        given = self.parse_text(text)
        if key is not None and given.key != key:
            raise InvalidInput(
                "key",
                Text(f"Kunci SOP {given.key} bukan {key}", f"SOP key {given.key} is not {key}"),
            )
        with self.store.session() as s:
            preset = self.presets.get(given.key)
            current = max(repo.highest_version(s, given.key), preset.version if preset else 0)
            definition = given.model_copy(update={"version": current + 1})
            s.add(
                SopVersion(
                    key=definition.key,
                    version=definition.version,
                    request_type=definition.request_type,
                    body=definition.model_dump(mode="json"),
                    created_by=actor.username,
                )
            )
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="sop:edited",
                detail={"key": definition.key, "version": definition.version},
                before={"version": current or None},
                after={"version": definition.version, "steps": len(definition.steps)},
            )
        return definition

    def choose(self, request_type: RequestType, key: str, actor: Actor) -> SopDefinition:
        ensure_role(actor, Action.EDIT_SOP)
        definition = self.latest(key)
        if definition.request_type is not request_type:
            raise InvalidInput(
                "key",
                Text(
                    f"SOP {key} untuk jenis {definition.request_type}, bukan {request_type}",
                    f"SOP {key} is for {definition.request_type} requests, not {request_type}",
                ),
            )
        with self.store.session() as s:
            row = s.get(SopChoice, str(request_type))
            before = row.key if row else DEFAULT_CHOICE[request_type]
            if row is None:
                s.add(SopChoice(request_type=str(request_type), key=key, chosen_by=actor.username))
            else:
                row.key, row.chosen_by = key, actor.username
            audit_repo.record_event(
                s,
                actor=actor.username,
                action="sop:chosen",
                detail={"request_type": str(request_type)},
                before={"key": before},
                after={"key": key},
            )
        return definition
