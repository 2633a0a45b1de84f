"""A CRM's history taken into a deal (shared/import.md): stage changes,
closings and amounts as the source recorded them, each kept with its source
row so that a row is recorded once.

A CRM knows that a stage changed, when and by whom, never the milestone
evidence behind it: an imported move passes no gate, and the milestones of
the stages it moved past that have no evidence are unverified (not met, not
forced past) until their evidence is recorded.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import events as ev
from domain.process import IMPORTED_OUTCOMES
from domain.state import DealState
from domain.vocabulary import STAGES, LossReason, Outcome, Stage

#: The stage a won deal closes in, or later if it is already there.
WON_IN = Stage.negotiation


class DealImports:
    """The imported facts of a deal (a part of ``Opportunity``)."""

    _sources: set[str]

    # What the aggregate provides.
    @property
    def state(self) -> DealState:
        raise NotImplementedError

    def _record(
        self, event: type[ev.DealEvent], at: datetime, by: str, note: str | None, **data: Any
    ) -> None:
        raise NotImplementedError

    def has_source_row(self, source_id: str) -> bool:
        """True when the source row is already recorded in this deal."""
        return source_id in self._sources

    def import_stage(self, to: Stage, at: datetime, by: str, source: str, source_id: str) -> bool:
        """Record a stage change the CRM recorded; nothing when ``to`` is the
        stage the deal is in. Returns whether it recorded one."""
        s = self.state
        if to is s.stage:
            return False
        passed = STAGES[s.stage.number - 1 : to.number - 1] if to.number > s.stage.number else ()
        self._record(
            ev.StageImported,
            at,
            by,
            None,
            from_stage=s.stage.value,
            to_stage=to.value,
            unverified=[m.value for m in s.unmet_through(passed)],
            source=source,
            source_id=source_id,
        )
        return True

    def import_outcome(
        self,
        outcome: Outcome,
        reason: LossReason | None,
        at: datetime,
        by: str,
        source: str,
        source_id: str,
    ) -> None:
        """Record the CRM's closing: won (the milestones of the stage it closes
        in are unverified unless met) or lost, for the reason given."""
        if outcome not in IMPORTED_OUTCOMES:
            raise ValueError(f"an imported outcome is won or lost, not {outcome.value}")
        s = self.state
        unverified = []
        if outcome is Outcome.won and s.stage.number <= WON_IN.number:
            unverified = [m.value for m in s.unmet_through((s.stage,))]
        self._record(
            ev.OutcomeImported,
            at,
            by,
            None,
            outcome=outcome.value,
            reason=(reason or LossReason.other).value if outcome is Outcome.lost else None,
            unverified=unverified,
            source=source,
            source_id=source_id,
        )

    def import_value(
        self, value: Decimal, at: datetime, by: str, source: str, source_id: str
    ) -> None:
        """Record an amount the CRM recorded, as an estimate of the deal's value."""
        self._record(
            ev.ValueEstimated, at, by, None, value=str(value), source=source, source_id=source_id
        )
