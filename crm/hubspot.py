"""A HubSpot export read into deal plans: ``deals.json``, an array of deal
objects as ``GET /crm/v3/objects/deals/{id}?propertiesWithHistory=dealstage,amount``
returns them, and ``pipelines.json``, the answer of ``GET /crm/v3/pipelines/deals``
(stage ids to labels). A deal's history is its ``dealstage`` and ``amount``
versions in time order; each version that differs from the one before is a change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm.fields import AmountField, Moment, OptionalMoment, RowId, SourceRow, problem
from crm.maps import StageMap
from crm.plan import BadRow, Change, DealPlan
from domain.errors import InputError
from domain.times import now
from domain.vocabulary import KEY_PATTERN, Outcome, Stage

SOURCE = "hubspot"
_ORDER = {"amount": 0, "dealstage": 1}  # at one moment: the amount, then the stage


class Version(SourceRow):
    """One version of a property (``propertiesWithHistory``)."""

    value: str | None = None
    timestamp: Moment
    sourceType: str | None = None
    sourceId: str | None = None
    updatedByUserId: int | str | None = None

    @property
    def by(self) -> str:
        for who in (self.updatedByUserId, self.sourceId, self.sourceType):
            if who not in (None, ""):
                return str(who)
        return "hubspot"


class Deal(SourceRow):
    id: RowId
    properties: dict[str, str | None] = Field(default_factory=dict)
    propertiesWithHistory: dict[str, list[Version]] = Field(default_factory=dict)
    createdAt: OptionalMoment = None


class _Stage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    label: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class _Pipeline(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    label: str = ""
    stages: list[_Stage]


class _Pipelines(BaseModel):
    model_config = ConfigDict(extra="ignore")
    results: list[_Pipeline]


def _load(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return json.load(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a UTF-8 JSON file ({exc})") from None


class HubSpotExport:
    """An export read: its deal plans."""

    def __init__(self, deals: Path, pipelines: Path, m: StageMap, tz: Any) -> None:
        self.map, self.file, self.tz = m, deals.name, tz
        try:
            known = _Pipelines.model_validate(_load(pipelines))
        except ValidationError as exc:
            raise InputError(f"{pipelines}: not a pipelines document ({problem(exc)})") from None
        #: Each stage id, with its label (a map may name either).
        self.labels = {s.id: s.label for p in known.results for s in p.stages}
        self.objects = _load(deals)
        if not isinstance(self.objects, list):
            raise InputError(f"{deals}: a JSON array of deal objects is required")

    @property
    def deals(self) -> int:
        return len(self.objects)

    def orphans(self) -> list[BadRow]:
        return []

    def plans(self) -> Iterator[DealPlan]:
        seen: dict[str, int] = {}
        for index, obj in enumerate(self.objects):
            where = f"{self.file}[{index}]"
            try:
                deal = Deal.model_validate(obj, context={"tz": self.tz})
            except ValidationError as exc:
                yield _refused(where, problem(exc), obj)
                continue
            if deal.id in seen:
                yield _refused(where, f"id {deal.id!r} is also at [{seen[deal.id]}]", obj)
                continue
            seen[deal.id] = index
            yield self._plan(deal, where)

    def _target(self, stage_id: str, where: str, key: str) -> Stage | Outcome | BadRow:
        if stage_id not in self.labels:
            return BadRow(where, f"the stage id {stage_id!r} is not in the pipelines document", key)
        found = self.map.target(stage_id) or self.map.target(self.labels[stage_id])
        if found is None:
            label = self.labels[stage_id]
            return BadRow(where, f"the stage {stage_id!r} ({label}) is not in the stage map", key)
        return found

    def _plan(self, deal: Deal, where: str) -> DealPlan:
        p, cols = deal.properties, self.map.columns
        key = (p.get(cols.key) if cols.key else None) or f"HS-{deal.id}"
        title = (p.get("dealname") or "").strip() or f"HubSpot deal {deal.id}"
        customer = ((p.get(cols.customer) if cols.customer else None) or title).strip()
        owner = (p.get("hubspot_owner_id") or "").strip() or "unassigned"
        context = {"tz": self.tz}
        try:
            created = Deal.model_validate(
                {"id": deal.id, "createdAt": p.get("createdate") or deal.createdAt},
                context=context,
            ).createdAt
            closed = Deal.model_validate(
                {"id": deal.id, "createdAt": p.get("closedate")}, context=context
            ).createdAt
        except ValidationError as exc:
            return _bad_plan(key, deal.id, where, problem(exc))
        if created is None:
            return _bad_plan(key, deal.id, where, "createdate is missing")
        if _KEY.fullmatch(key) is None:
            return _bad_plan(key, deal.id, where, f"the key {key!r} is not a deal key")
        versions = [
            (v.timestamp, _ORDER[name], j, name, v)
            for name in ("amount", "dealstage")
            for j, v in enumerate(deal.propertiesWithHistory.get(name, []))
        ]
        versions.sort(key=lambda t: (t[0], t[1], t[4].value or ""))
        opened = min([created, *(t[0] for t in versions)])
        plan = DealPlan(key, SOURCE, deal.id, where, customer, title, owner, opened, owner)
        if not any(name == "dealstage" for *_, name, _ in versions) and p.get("dealstage"):
            stage = p["dealstage"] or ""
            at = created
            known = self.map.target(stage) or self.map.target(self.labels.get(stage, ""))
            if isinstance(known, Outcome) and closed is not None:
                at = max(at, min(closed, now()))
            current = Version(value=stage, timestamp=at, sourceType="current")
            versions.append((at, 1, 0, "dealstage", current))
        last: dict[str, str | None] = {"amount": None, "dealstage": None}
        # A deal opens in development: a first version there changes no stage.
        previous: Stage | Outcome = Stage.development
        reason = p.get(cols.loss_reason) if cols.loss_reason else None
        for at, _, j, name, v in versions:
            here = f"{where}.propertiesWithHistory.{name}[{j}]"
            value = (v.value or "").strip() or None
            if value == last[name] or value is None:
                plan.skipped += 1
                continue
            last[name] = value
            rid = f"{deal.id}/{name}/{at.isoformat()}/{value}"
            if name == "amount":
                try:
                    amount = _Amount.model_validate({"amount": value}).amount
                except ValidationError as exc:
                    plan.bad = BadRow(here, problem(exc), key)
                    return plan
                if amount is None:
                    plan.skipped += 1
                    continue
                plan.changes.append(Change(rid, at, v.by, here, value=Decimal(amount)))
                continue
            target = self._target(value, here, key)
            if isinstance(target, BadRow):
                plan.bad = target
                return plan
            if target is previous:
                plan.skipped += 1
                continue
            previous = target
            loss = self.map.loss_reason(reason) if target is Outcome.lost else None
            plan.changes.append(Change(rid, at, v.by, here, target=target, reason=loss))
        return plan


class _Amount(SourceRow):
    amount: AmountField


def _bad_plan(key: str, source_id: str, where: str, reason: str) -> DealPlan:
    plan = DealPlan(key, SOURCE, source_id, where, "", "", "", datetime.min, "")
    plan.bad = BadRow(where, reason, key)
    return plan


def _refused(where: str, reason: str, obj: Any) -> DealPlan:
    ident = str(obj.get("id", "")) if isinstance(obj, dict) else ""
    plan = _bad_plan(f"HS-{ident}" if ident else "", ident, where, reason)
    if not ident or _KEY.fullmatch(f"HS-{ident}") is None:
        plan.bad = BadRow(where, reason)
    return plan


_KEY = re.compile(KEY_PATTERN)
