"""Scenarios on the application service, each run on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from cli.context import Salesflow
from domain.application import MAX_ATTEMPTS
from domain.demo_data import ARTICLE_CASE, article_case, enter
from domain.errors import ConcurrentUpdate, DealAlreadyOpened, MilestonesUnmet, UnknownDeal
from domain.turns import DealTurn
from domain.vocabulary import Alignment, Milestone, Outcome, Stage
from tests.conftest import make_flow
from tests.support import do, open_deal, walk_to_bidding


class TestSalesProcessOnEachStore:
    def test_the_articles_case_is_behind_and_cannot_advance(self, flow: Salesflow) -> None:
        enter(flow.process, ARTICLE_CASE, article_case())
        state = flow.process.deal(ARTICLE_CASE).state
        assert state.stage is Stage.development
        assert state.customer_step is not None
        assert state.customer_step.value == "supplier_screening"
        assert state.expected_stage is Stage.entry
        assert state.alignment is Alignment.behind
        assert [m.value for m in state.missing_milestones] == [
            "opportunity_assessed",
            "customer_graded",
            "insider_found",
            "key_person_engaged",
        ]
        with pytest.raises(MilestonesUnmet) as refused:
            do(flow.process, "advance", ARTICLE_CASE, "2026-09-10")
        assert refused.value.unmet == ("opportunity_assessed", "customer_graded")

    def test_opening_a_key_twice_is_refused_not_duplicated(self, flow: Salesflow) -> None:
        open_deal(flow.process, "NX-1")
        with pytest.raises(DealAlreadyOpened):
            open_deal(flow.process, "NX-1", at="2026-07-05")
        assert flow.process.deal("NX-1").version == 1

    def test_an_unknown_key_is_refused(self, flow: Salesflow) -> None:
        with pytest.raises(UnknownDeal):
            do(flow.process, "shortlist", "NOPE", "2026-07-01")

    def test_a_deal_survives_a_reload_from_the_store(self, flow: Salesflow) -> None:
        walk_to_bidding(flow.process, "HB-7", influence=False)
        do(flow.process, "bid", "HB-7", "2026-07-09", price="1000")
        do(flow.process, "lose", "HB-7", "2026-07-20", reason="price", competitor="X")
        flow.close()
        again = make_flow_like(flow)
        state = again.process.deal("HB-7").state
        assert state.outcome is Outcome.lost
        assert state.milestones[Milestone.standard_influenced].forced_past
        assert state.stage is Stage.bidding
        again.close()

    def test_two_writers_on_one_deal_lose_no_update(self, flow: Salesflow) -> None:
        open_deal(flow.process, "RACE-1")
        writers = [make_flow_like(flow) for _ in range(2)]
        errors: list[BaseException] = []
        per_writer = 15

        def write(w: Salesflow, who: str) -> None:
            try:
                for i in range(per_writer):
                    do(
                        w.process,
                        "activity",
                        "RACE-1",
                        "2026-07-02",
                        kind="call",
                        with_whom=f"{who}-{i}",
                    )
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w, f"w{n}")) for n, w in enumerate(writers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for w in writers:
            w.close()
        assert errors == []
        deal = flow.process.deal("RACE-1")
        assert deal.version == 1 + 2 * per_writer
        withs = sorted(e.data["with_whom"] for e in deal.entries if e.event == "ActivityHeld")
        assert withs == sorted(f"w{n}-{i}" for n in range(2) for i in range(per_writer))

    def test_a_conflict_that_retries_cannot_resolve_is_reported(
        self, flow: Salesflow, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        open_deal(flow.process, "RACE-2")
        writer = flow.process._writer
        turn_of = writer.deal_turn
        tries = 0

        @contextmanager
        def always_beaten(oid: UUID) -> Iterator[DealTurn]:
            # Another writer that takes no turn saves first, every time.
            nonlocal tries
            tries += 1
            with turn_of(oid) as turn:
                monkeypatch.setattr(turn, "record", _beaten)
                yield turn

        monkeypatch.setattr(writer, "deal_turn", always_beaten)
        monkeypatch.setattr(writer, "append", _beaten)  # the kept deal's append, too
        with pytest.raises(ConcurrentUpdate):
            do(flow.process, "activity", "RACE-2", "2026-07-02", kind="call")
        assert tries == MAX_ATTEMPTS
        monkeypatch.undo()
        assert all(e.event != "ActivityHeld" for e in flow.process.deal("RACE-2").entries)


def _beaten(events: object, *kept: object, **extra: object) -> None:
    raise IntegrityError("another writer saved this version first")


def make_flow_like(flow: Salesflow) -> Salesflow:
    """Another process's view of the same store."""
    store = flow.settings.store
    if store.kind == "sqlite":
        return make_flow(f"sqlite:///{store.path}")
    query = f"?schema={store.events_schema}&reporting={store.reporting_schema}"
    return make_flow(f"postgresql://{store.user}@{store.host}:{store.port}/{store.dbname}{query}")


def test_eight_writers_on_one_deal_all_land_in_turn(store_url: str) -> None:
    import threading

    from tests.conftest import make_flow
    from tests.support import do, open_deal

    flows = [make_flow(store_url) for _ in range(8)]
    open_deal(flows[0].process, "HOT-1")
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(100):
                do(
                    flows[n].process,
                    "activity",
                    "HOT-1",
                    "2026-07-02",
                    kind="call",
                    with_whom=f"writer {n} #{i}",
                )
        except BaseException as exc:  # any refusal is the defect this test is about
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    try:
        assert failures == []
        entries = flows[0].process.entries("HOT-1")
        assert [e.seq for e in entries] == list(range(1, 802))  # contiguous, none lost
        withs = sorted(e.data["with_whom"] for e in entries if e.event == "ActivityHeld")
        assert withs == sorted(f"writer {n} #{i}" for n in range(8) for i in range(100))
    finally:
        for f in flows:
            f.close()
