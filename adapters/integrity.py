"""The integrity service that the CLI, the HTTP API and ``serve`` share:
verify the store, take a checkpoint, read a checkpoint a user hands in."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.log_access import Checkpoint, record_checkpoint, snapshot
from adapters.stores import Store
from adapters.verify import Report, checkpoint, verify
from domain.errors import InputError


class CheckpointIn(BaseModel):
    """A checkpoint as ``salesflow checkpoint`` printed it."""

    model_config = ConfigDict(extra="ignore")
    position: int = Field(ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: str = Field(min_length=1, max_length=64)
    size: int | None = Field(default=None, ge=0)


def read_checkpoint(given: str) -> Checkpoint:
    """A checkpoint from JSON text, or from the file that holds it."""
    text = given
    if not given.lstrip().startswith("{"):
        path = Path(given)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"--checkpoint {given!r} is neither a checkpoint's JSON nor a file"
                f" holding one ({exc.__class__.__name__})"
            ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--checkpoint is not JSON: {exc.msg} at line {exc.lineno}") from None
    try:
        cp = CheckpointIn.model_validate(doc)
    except ValidationError as exc:
        wrong = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'it'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(
            'a checkpoint is {"position": N, "root": "<64 hex digits>", "at": "..."}: ' + wrong
        ) from None
    return Checkpoint(cp.position, cp.root, cp.at, cp.size)


def verify_store(store: Store, given: list[Checkpoint] | None = None) -> Report:
    """Every deal's chain and the log, against the recorded and the given checkpoints."""
    with snapshot(store) as log:
        return verify(log, given or [])


def take_checkpoint(store: Store) -> Checkpoint:
    """The Merkle tree hash of the log as it stands, recorded beside it."""
    with snapshot(store) as log:
        cp = checkpoint(log)
    record_checkpoint(store, cp)
    return cp
