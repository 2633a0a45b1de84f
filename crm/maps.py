"""The stage maps of an import: a CRM's stage labels to our stages and
outcomes, its loss reasons to ours, and the columns it keeps them in. The
defaults ship beside this module; ``--map MAP.toml`` names what differs."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import InputError
from domain.vocabulary import LossReason, Outcome, Stage

Source = Literal["salesforce", "hubspot"]
#: What a stage label maps to: a stage, or the outcome won or lost.
Target = Stage | Literal["won", "lost"]


class Columns(BaseModel):
    """Where the export keeps what the import needs beyond its standard columns."""

    model_config = ConfigDict(extra="forbid")

    key: str | None = Field(None, min_length=1, description="The column holding the deal's key.")
    loss_reason: str | None = Field(None, min_length=1)
    customer: str | None = Field(None, min_length=1)


class StageMap(BaseModel):
    """A CRM's stage labels and loss reasons in salesflow's words."""

    model_config = ConfigDict(extra="forbid")

    columns: Columns = Columns()
    stages: dict[str, Target] = Field(default_factory=dict)
    loss_reasons: dict[str, LossReason] = Field(default_factory=dict)

    def target(self, label: str) -> Stage | Outcome | None:
        """The stage or outcome a label maps to, None when the map does not know it."""
        found = self.stages.get(label)
        if found is None:
            return None
        return Outcome(found) if found in ("won", "lost") else Stage(found)

    def loss_reason(self, text: str | None) -> LossReason:
        """The loss reason a source's text maps to (``other`` when none does)."""
        if not text:
            return LossReason.other
        mapped = self.loss_reasons.get(text.strip())
        if mapped is not None:
            return mapped
        try:
            return LossReason(text.strip().lower())
        except ValueError:
            return LossReason.other


def _read(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: not a TOML file ({exc})") from None


def load_map(source: Source, path: Path | None = None) -> StageMap:
    """The shipped map of ``source``, with the entries of ``path`` over it."""
    shipped = resources.files("crm").joinpath(f"{source}.toml").read_text(encoding="utf-8")
    data = _read(shipped, f"{source}.toml")
    if path is not None:
        try:
            given = _read(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot be read ({exc})") from None
        for table, entries in given.items():
            if isinstance(entries, dict) and isinstance(data.get(table), dict):
                data[table] = {**data[table], **entries}
            else:
                data[table] = entries
    try:
        return StageMap.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path is not None else f"{source}.toml"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(f"{where}: {problems}") from None
