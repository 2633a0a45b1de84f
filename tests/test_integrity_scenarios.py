"""The chain and the kept deals under real use, on each store: the chain
survives a rebuild, an export and an import run twice; eight processes
writing one deal never break it nor lose an update; a deal kept by one
process never decides on a stale history when another process wrote."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

from adapters.integrity import verify_store
from cli.context import Salesflow
from domain.opportunity import Opportunity
from domain.vocabulary import ActivityKind
from tests.conftest import Sf, make_flow, url_of
from tests.crm_support import salesforce_export
from tests.support import developed, do, open_deal, t
from tests.test_scenarios import make_flow_like


def test_the_chain_survives_an_import_its_repeat_a_rebuild_and_an_export(
    sf_any: Sf, tmp_path: Path
) -> None:
    folder = tmp_path / "sf"
    salesforce_export(folder)
    opp, hist = folder / "Opportunity.csv", folder / "OpportunityHistory.csv"
    args = ("import", "salesforce", "--opportunities", str(opp), "--history", str(hist))
    first = json.loads(sf_any(*args, "--json", code=1).stdout)  # one bad row: exit 1
    assert first["entries"] > 0
    before = json.loads(sf_any("verify", "--json").stdout)
    again = json.loads(sf_any(*args, "--json", code=1).stdout)
    assert again["entries"] == 0  # a re-import of nothing
    sf_any("projections", "rebuild")
    sf_any("export", "--format", "json", "--out", str(tmp_path / "out"))
    after = json.loads(sf_any("verify", "--json", "--read-models").stdout)
    assert after["intact"] and after["read_models"]["differences"] == []
    assert (after["events"], after["root"]) == (before["events"], before["root"])
    assert after["chained"] == after["events"] > 0


def _write(url: str, n: int, commands: int) -> tuple[list[str], list[str]]:
    """One writer process: its acknowledged commands, and what went wrong."""
    flow = make_flow(url)
    done: list[str] = []
    wrong: list[str] = []
    try:
        for i in range(commands):
            who = f"p{n}-{i}"
            try:
                do(flow.process, "activity", "HOT-1", "2026-07-02", kind="call", with_whom=who)
                done.append(who)
            except Exception as exc:  # counted: the test says none may happen
                wrong.append(f"{type(exc).__name__}: {exc}")
    finally:
        flow.close()
    return done, wrong


def test_eight_processes_on_one_deal_lose_nothing_and_keep_the_chain(flow: Salesflow) -> None:
    open_deal(flow.process, "HOT-1")
    url = url_of(flow)
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        results = pool.starmap(_write, [(url, n, 12) for n in range(8)])
    done = sorted(w for ok, _ in results for w in ok)
    wrong = [w for _, bad in results for w in bad]
    assert wrong == []
    stored = sorted(
        e.data["with_whom"] for e in flow.process.deal("HOT-1").entries if e.event == "ActivityHeld"
    )
    assert stored == done and len(done) == 96
    report = verify_store(flow.settings.store)
    assert report.intact, report.findings
    assert report.chained == report.events == 97


def test_a_kept_deal_sees_another_processs_write(flow: Salesflow) -> None:
    open_deal(flow.process, "K-1")  # this process now keeps K-1 at version 1
    other = make_flow_like(flow)
    try:
        developed(other.process, "K-1")  # development's milestones met, elsewhere
    finally:
        other.close()
    # Decided on the kept version 1, the gate would refuse: it must see version 3.
    moved = do(flow.process, "advance", "K-1", "2026-07-03")
    assert (moved.seq, moved.value.value) == (4, "entry")


def test_a_kept_deal_behind_the_store_is_refused_and_decided_again(flow: Salesflow) -> None:
    open_deal(flow.process, "K-3")  # kept at version 1
    other = make_flow_like(flow)
    try:
        do(other.process, "activity", "K-3", "2026-07-02", kind="call", with_whom="theirs")
    finally:
        other.close()
    # Appended after the kept version 1, it would take seq 2: the store refuses
    # that, and the command is decided again on the stored history.
    ours = do(flow.process, "activity", "K-3", "2026-07-03", kind="visit", with_whom="ours")
    assert ours.seq == 3
    withs = [e.data.get("with_whom") for e in flow.process.deal("K-3").entries[1:]]
    assert withs == ["theirs", "ours"]
    assert verify_store(flow.settings.store).intact


def test_a_writer_that_takes_no_turn_is_never_overwritten(flow: Salesflow) -> None:
    """Another writer saves, without a turn, while this command decides: on
    PostgreSQL it gets in first and this command retries on the history it
    wrote; on SQLite it waits for this command's write lock, then is refused."""
    open_deal(flow.process, "K-2")
    other = make_flow_like(flow)
    other.process  # noqa: B018 - opened before the race, not inside it
    process = flow.process
    original = process._replayed
    outcome: dict[str, Any] = {}
    calls = 0

    def rogue() -> None:
        deal = other.process.deal("K-2")
        deal.hold_activity(ActivityKind.call, "rogue", None, t("2026-07-02"), "rogue")
        try:
            other.process.save(deal)  # the library's plain save: no turn
            outcome["rogue"] = "saved"
        except IntegrityError:
            outcome["rogue"] = "refused"

    def racing(key: str, stored: Any) -> Opportunity:
        nonlocal calls
        calls += 1
        if calls == 1:
            writer = threading.Thread(target=rogue)
            writer.start()
            writer.join(timeout=2)  # PostgreSQL: done; SQLite: waiting for our lock
            outcome["thread"] = writer
        return original(key, stored)

    process.kept.clear()  # a deal not kept: decided in a turn, on the stored history
    try:
        process._replayed = racing  # type: ignore[method-assign]
        do(process, "activity", "K-2", "2026-07-02", kind="visit", with_whom="ours")
        outcome["thread"].join(timeout=30)
    finally:
        del process._replayed  # the class's own again
        other.close()
    withs = [e.data.get("with_whom") for e in process.deal("K-2").entries[1:]]
    if flow.settings.store.kind == "postgresql":
        assert outcome["rogue"] == "saved" and calls == 2  # retried once, on the new history
        assert withs == ["rogue", "ours"]
    else:
        assert (outcome["rogue"], calls, withs) == ("refused", 1, ["ours"])
        assert withs == ["ours"]
    assert verify_store(flow.settings.store).intact
