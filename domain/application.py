"""The application service: runs commands on deals against a real event store.

Methods take validated commands and return plain values. Every change is a
read-decide-save; when another writer saved the deal in between, the store's
uniqueness on (deal, version) refuses the save and the whole cycle is retried,
so no update is ever lost or overwritten.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent, Transcoder

from domain import commands as c
from domain import errors
from domain.config import ProcessConfig
from domain.entries import Entry
from domain.events import DealEvent
from domain.kept import KEPT_DEALS, KeptDeals
from domain.opportunity import Opportunity, deal_id
from domain.transcoder import FastJSONTranscoder
from domain.turns import DealWriter, NoTurns, Turns
from domain.vocabulary import Grade, Milestone, Stage

T = TypeVar("T")
__all__ = ["CONDITIONS", "Conditions", "NoTurns", "Recorded", "SalesProcess"]
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Conditions:
    """What a caller asks of a write beyond the command itself (the HTTP API's
    permissions, ``If-Match`` and ``Idempotency-Key``): a check of the deal as
    read, which raises to refuse the write; the deal's version it must still be
    at; and what to save with the events, in their transaction, once decided.
    All run inside the deal's turn, so no other write slips in between."""

    permit: Callable[[Opportunity], None] | None = None
    version: int | None = None
    save_with: Callable[[Opportunity], dict[str, Any]] | None = None


#: The conditions of the write running in this thread or task.
CONDITIONS: ContextVar[Conditions | None] = ContextVar("salesflow_conditions", default=None)
_NONE = Conditions()


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """What a command recorded: the deal, the entry (its seq, which is also the
    deal's version after it, and its event) with its one-line summary, and
    what the command decided (a grade, a stage, the skipped milestones, ...)."""

    key: str
    seq: int
    event: str
    summary: str
    value: T


def _recorded(deal: Opportunity, value: T) -> Recorded[T]:
    entry = deal.last_entry
    return Recorded(deal.key, entry.seq, entry.event, entry.fact.summary(), value)


class SalesProcess(Application[Any]):
    """The write side of salesflow. ``name`` is pinned: PostgreSQL table names
    derive from it, so renaming the class never orphans the events."""

    name = "Sales"

    def __init__(
        self, env: dict[str, str], config: ProcessConfig, turns: Turns | None = None
    ) -> None:
        super().__init__(env=env)
        self.config = config
        self.turns: Turns = turns or NoTurns()
        self.kept = KeptDeals(KEPT_DEALS)
        self._writer = cast(DealWriter, self.recorder)

    def close(self) -> None:
        self.turns.close()
        super().close()

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON format, read faster (see ``domain.transcoder``)."""
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    # -- reading ------------------------------------------------------------
    def deal(self, key: str) -> Opportunity:
        """The deal with this key, as stored now."""
        try:
            stored = self.recorder.select_events(deal_id(key))
        except PersistenceError as exc:
            raise errors.StoreError(f"the store failed: {exc}") from exc
        return self._replayed(key, stored)

    def _replayed(self, key: str, stored: Sequence[StoredEvent]) -> Opportunity:
        """A deal rebuilt from its stored events, a hole in them named, without
        the library's per-event protocol check (the replay's cost)."""
        to_event = self.mapper.to_domain_event
        found: Any = None
        for s in stored:
            expected = found.version + 1 if found is not None else 1
            if s.originator_version != expected:
                raise errors.DamagedDeal(key, expected, s.originator_version)
            found = cast(DealEvent, to_event(s)).mutate(found)
        if not isinstance(found, Opportunity):
            raise errors.UnknownDeal(key)
        return found

    def entries_by_id(self, deal: UUID) -> Sequence[Entry[DealEvent]]:
        """A deal's history in seq order, by its id."""
        return self._replayed(str(deal), self.recorder.select_events(deal)).entries

    def entries(self, key: str) -> Sequence[Entry[DealEvent]]:
        """The deal's history in seq order."""
        return self.deal(key).entries

    # -- writing ------------------------------------------------------------
    def _change(self, key: str, decide: Callable[[Opportunity], T]) -> Recorded[T]:
        """Decide and save: on the deal kept from an earlier command, appended
        after its version (``_on_kept``), or else read, decided and saved in
        the deal's turn. A writer that took no turn and saved first makes the
        turn's whole cycle run again (jittered backoff)."""
        return self._in_turn(key, lambda deal: self._decided(key, deal, decide))

    def _decided(self, key: str, deal: Opportunity | None, decide: Callable[[Opportunity], T]) -> T:
        if deal is None:
            raise errors.UnknownDeal(key)
        asked = CONDITIONS.get() or _NONE
        if asked.permit is not None:
            asked.permit(deal)
        if asked.version is not None and deal.version != asked.version:
            raise errors.VersionMismatch(key, asked.version, deal.version)
        return decide(deal)

    def _in_turn(
        self,
        key: str,
        decide: Callable[[Opportunity | None], T],
        *,
        opening: Opportunity | None = None,
    ) -> Recorded[T]:
        asked = CONDITIONS.get() or _NONE
        oid = deal_id(key)
        with self.turns(key):
            kept = None if opening else self.kept.take(oid)
            if kept is not None:
                done = self._on_kept(key, *kept, decide, asked)
                if done is not None:
                    return done
            for attempt in range(1, MAX_ATTEMPTS + 1):
                deal: Opportunity | None = None
                try:
                    with self._writer.deal_turn(oid) as turn:
                        deal = self._replayed(key, turn.history) if turn.history else None
                        result = decide(deal)
                        deal = deal or opening
                        assert deal is not None
                        extra = asked.save_with(deal) if asked.save_with else {}
                        chain = turn.record(self._stored(deal), **extra)
                except IntegrityError:
                    time.sleep(random.uniform(0, 0.002 * 2**attempt))
                    continue
                except PersistenceError as exc:
                    raise errors.StoreError(f"the store failed: {exc}") from exc
                self.kept.keep(deal, chain)
                return _recorded(deal, result)
        raise errors.ConcurrentUpdate(key, MAX_ATTEMPTS)

    def _on_kept(
        self,
        key: str,
        deal: Opportunity,
        head: bytes | None,
        decide: Callable[[Opportunity | None], T],
        asked: Conditions,
    ) -> Recorded[T] | None:
        """Decide on a kept deal and append after its version, in one write.
        None when that cannot stand: the decision refused the command (perhaps
        only because the deal kept is behind the store) or the store refused
        the version (another writer stored it first); the turn then decides
        again on the history as stored (any refusal, the caller's included,
        is only ever made on that)."""
        after = deal.version
        try:
            result = decide(deal)
            extra = asked.save_with(deal) if asked.save_with else {}
        except Exception:
            return None
        try:
            chain = self._writer.append(self._stored(deal), after, head, **extra)
        except IntegrityError:
            return None
        except PersistenceError as exc:
            raise errors.StoreError(f"the store failed: {exc}") from exc
        self.kept.keep(deal, chain)
        return _recorded(deal, result)

    def _stored(self, deal: Opportunity) -> list[StoredEvent]:
        return [self.mapper.to_stored_event(e) for e in deal.collect_events()]

    # -- commands -----------------------------------------------------------
    def open_deal(self, cmd: c.OpenDeal) -> Recorded[None]:
        """Open a deal in ``development``; a key already opened is refused."""
        deal = Opportunity.open(
            cmd.key,
            cmd.customer,
            cmd.title,
            cmd.owner or cmd.by,
            cmd.tender_expected,
            cmd.at,
            cmd.by,
            cmd.note,
            cmd.value,
        )
        asked = CONDITIONS.get() or _NONE

        def decide(stored: Opportunity | None) -> None:
            if stored is not None:
                raise errors.DealAlreadyOpened(cmd.key)
            if asked.permit is not None:
                asked.permit(deal)

        return self._in_turn(cmd.key, decide, opening=deal)

    def observe_step(self, cmd: c.ObserveStep) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.observe_customer_step(cmd.step, cmd.at, cmd.by, cmd.note)
        )

    def collect(self, cmd: c.Collect) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.collect(cmd.element, cmd.text, cmd.at, cmd.by, cmd.note)
        )

    def assess(self, cmd: c.Assess) -> Recorded[dict[str, Any]]:
        """Assess; returns the weighted mean, the verdict and any knock-outs."""

        def decide(d: Opportunity) -> dict[str, Any]:
            d.assess(dict(cmd.scores), self.config, cmd.at, cmd.by, cmd.note)
            return dict(d.entries[-1].data)

        return self._change(cmd.key, decide)

    def grade(self, cmd: c.GradeDeal) -> Recorded[tuple[Grade, str]]:
        """Grade by rule or by hand; returns the grade and why it was given."""

        def decide(d: Opportunity) -> tuple[Grade, str]:
            if cmd.grade is not None and cmd.reason is not None:
                d.grade_by_hand(cmd.grade, cmd.reason, cmd.at, cmd.by, cmd.note)
                return cmd.grade, f"by hand: {cmd.reason}"
            assert cmd.likelihood is not None and cmd.close_by is not None
            grade = d.grade_by_rule(
                cmd.likelihood, cmd.close_by, self.config, cmd.at, cmd.by, cmd.note
            )
            days = int(d.entries[-1].data["days"])
            return grade, self.config.grading.why(grade, cmd.likelihood, days)

        return self._change(cmd.key, decide)

    def identify_stakeholder(self, cmd: c.IdentifyStakeholder) -> Recorded[None]:
        return self._change(
            cmd.key,
            lambda d: d.identify_stakeholder(
                cmd.name, cmd.role, cmd.weight, cmd.at, cmd.by, cmd.note
            ),
        )

    def stakeholder_left(self, cmd: c.StakeholderLeaves) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.stakeholder_left(cmd.name, cmd.reason, cmd.at, cmd.by, cmd.note)
        )

    def find_insider(self, cmd: c.NamePerson) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.find_insider(cmd.name, cmd.at, cmd.by, cmd.note))

    def engage(self, cmd: c.NamePerson) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.engage_key_person(cmd.name, cmd.at, cmd.by, cmd.note)
        )

    def activity(self, cmd: c.HoldActivity) -> Recorded[None]:
        return self._change(
            cmd.key,
            lambda d: d.hold_activity(
                cmd.kind, cmd.with_whom, cmd.outcome, cmd.at, cmd.by, cmd.note
            ),
        )

    def shortlist(self, cmd: c.Shortlist) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.shortlist(cmd.at, cmd.by, cmd.note))

    def influence(self, cmd: c.Influence) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.influence_standard(list(cmd.criteria), cmd.at, cmd.by, cmd.note)
        )

    def estimate(self, cmd: c.EstimateValue) -> Recorded[None]:
        """Record an estimate of the deal's value."""
        return self._change(
            cmd.key, lambda d: d.estimate_value(cmd.value, cmd.at, cmd.by, cmd.note)
        )

    def tender(self, cmd: c.ReceiveTender) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.receive_tender(cmd.due, cmd.at, cmd.by, cmd.note))

    def bid(self, cmd: c.SubmitBid) -> Recorded[None]:
        return self._change(
            cmd.key,
            lambda d: d.submit_bid(
                Decimal(cmd.price), cmd.margin, cmd.negotiated, cmd.at, cmd.by, cmd.note
            ),
        )

    def approve_contract(self, cmd: c.Plain) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.approve_contract(cmd.at, cmd.by, cmd.note))

    def sign(self, cmd: c.Sign) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.sign(cmd.value, cmd.at, cmd.by, cmd.note))

    def trial(self, cmd: c.Result) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.evaluate_trial(cmd.result, cmd.at, cmd.by, cmd.note)
        )

    def oil_analysis(self, cmd: c.Result) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.follow_up_oil_analysis(cmd.result, cmd.at, cmd.by, cmd.note)
        )

    def advance(self, cmd: c.Plain) -> Recorded[Stage]:
        """Advance through the gate; returns the new stage."""
        return self._change(cmd.key, lambda d: d.advance(cmd.at, cmd.by, cmd.note))

    def force(self, cmd: c.Force) -> Recorded[tuple[Milestone, ...]]:
        """Force past the gate; returns the skipped milestones."""
        return self._change(
            cmd.key, lambda d: d.force(cmd.reason, cmd.approved_by, cmd.at, cmd.by, cmd.note)
        )

    def lose(self, cmd: c.Lose) -> Recorded[None]:
        return self._change(
            cmd.key, lambda d: d.lose(cmd.reason, cmd.competitor, cmd.at, cmd.by, cmd.note)
        )

    def withdraw(self, cmd: c.Reasoned) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.withdraw(cmd.reason, cmd.at, cmd.by, cmd.note))

    def abandon(self, cmd: c.Reasoned) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.abandon(cmd.reason, cmd.at, cmd.by, cmd.note))

    def nurture(self, cmd: c.Reasoned) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.nurture(cmd.reason, cmd.at, cmd.by, cmd.note))

    def reopen(self, cmd: c.Reasoned) -> Recorded[None]:
        return self._change(cmd.key, lambda d: d.reopen(cmd.reason, cmd.at, cmd.by, cmd.note))

    def correct(self, cmd: c.CorrectDetails) -> Recorded[None]:
        """Put the deal's own details right."""
        return self._change(
            cmd.key,
            lambda d: d.correct_details(
                cmd.reason,
                cmd.at,
                cmd.by,
                cmd.note,
                customer=cmd.customer,
                title=cmd.title,
                owner=cmd.owner,
                tender_expected=cmd.tender_expected,
            ),
        )

    def retract(self, cmd: c.Retract) -> Recorded[str]:
        """Retract entry ``seq``; returns the retracted entry's event name."""
        return self._change(
            cmd.key, lambda d: d.retract(cmd.seq, cmd.reason, cmd.at, cmd.by, cmd.note)
        )
