"""Tamper evidence, on each store: every kind of tampering done directly in
the SQLite file or the PostgreSQL tables is found by verify, naming the deal
and the seq; a clean store verifies; checkpoints prove the log was only
appended to."""

from __future__ import annotations

import hashlib
import json

import pytest

from adapters.chain import Frontier, leaf, node, tree_root
from adapters.integrity import take_checkpoint, verify_store
from adapters.log_access import Checkpoint
from adapters.stores import Store
from adapters.verify import Finding, Report
from cli.context import Salesflow
from domain.errors import DamagedDeal
from tests.conftest import Sf, url_of
from tests.support import developed, do, open_deal
from tests.tamper import Tamper


def _deals(flow: Salesflow) -> None:
    """Two deals of five and three entries, interleaved in the log."""
    open_deal(flow.process, "A-1")
    open_deal(flow.process, "B-1")
    developed(flow.process, "A-1")  # entries 2 (assessed) and 3 (graded)
    do(flow.process, "activity", "B-1", "2026-07-02", kind="call", with_whom="Li")
    do(flow.process, "activity", "A-1", "2026-07-03", kind="visit", with_whom="Wang")
    do(flow.process, "activity", "A-1", "2026-07-04", kind="demo", with_whom="Zhao")
    do(flow.process, "activity", "B-1", "2026-07-05", kind="visit", with_whom="Chen")


def _report(flow: Salesflow, *given: Checkpoint) -> Report:
    return verify_store(flow.settings.store, list(given))


def _found(report: Report) -> set[tuple[str, str | None, int | None]]:
    return {(f.kind, f.deal, f.seq) for f in report.findings}


@pytest.fixture
def tamper(flow: Salesflow) -> Tamper:
    _deals(flow)
    return Tamper(flow.settings.store)


class TestAStoreAsWritten:
    def test_verifies_intact_with_every_event_chained(self, flow: Salesflow) -> None:
        _deals(flow)
        report = _report(flow)
        assert report.intact, report.findings
        assert (report.deals, report.events, report.chained, report.not_chained) == (2, 8, 8, 0)

    def test_an_empty_store_verifies(self, flow: Salesflow) -> None:
        flow.process  # noqa: B018
        report = _report(flow)
        assert report.intact and report.events == 0
        assert report.root == hashlib.sha256(b"").hexdigest()


class TestEachTamperingIsFound:
    def test_an_edited_event(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.edit("A-1", 4, "Wang", "Wong")
        assert _found(_report(flow)) == {("edited", "A-1", 4)}

    def test_an_edited_last_event(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.edit("B-1", 3, "Chen", "Chan")
        assert _found(_report(flow)) == {("edited", "B-1", 3)}

    def test_a_deleted_middle_event(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.delete("A-1", 3)
        found = _found(_report(flow))
        assert ("version_gap", "A-1", 3) in found
        assert ("deleted", "A-1", 3) in found  # its notification id, missing from the log

    def test_a_deleted_last_event_of_a_deal(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.delete("A-1", 5)  # not the log's last: its notification id leaves a gap
        report = _report(flow)
        assert [f.kind for f in report.findings] == ["deleted"]

    def test_the_deleted_last_event_of_the_log(self, flow: Salesflow, tamper: Tamper) -> None:
        last = tamper.ids("B-1")[-1]
        tamper.delete("B-1", 3)
        report = _report(flow)
        assert [(f.kind, f.id) for f in report.findings] == [("deleted", last)]
        assert "end of the log" in report.findings[0].detail

    def test_an_event_inserted_behind_salesflows_back(
        self, flow: Salesflow, tamper: Tamper
    ) -> None:
        tamper.copy_as("B-1", 2, 4)
        assert ("inserted", "B-1", 4) in _found(_report(flow))

    def test_reordered_events(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.swap("A-1", 4, 5)
        found = _found(_report(flow))
        assert {("reordered", "A-1", 4), ("reordered", "A-1", 5)} <= found

    def test_a_version_gap(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.renumber("A-1", 5, 7)
        assert ("version_gap", "A-1", 5) in _found(_report(flow))

    def test_a_broken_chain(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.set_chain("A-1", 3, bytes(range(32)))
        assert _found(_report(flow)) == {("broken_chain", "A-1", 3)}


class TestADamagedDeal:
    def test_is_refused_by_name_on_read_and_write(self, flow: Salesflow, tamper: Tamper) -> None:
        tamper.delete("A-1", 3)
        with pytest.raises(DamagedDeal, match="entry 3 is missing") as read:
            flow.process.deal("A-1")
        assert "salesflow verify" in str(read.value)
        flow.process.kept.clear()  # another process, which never kept the deal
        with pytest.raises(DamagedDeal):
            do(flow.process, "activity", "A-1", "2026-07-06", kind="call")
        assert flow.process.deal("B-1").version == 3  # the other deal is untouched

    def test_a_kept_deal_ahead_of_the_store_gives_way_to_the_store(
        self, flow: Salesflow, tamper: Tamper
    ) -> None:
        gone = tamper.ids("A-1")[-1]
        tamper.delete("A-1", 5)  # the deal this process keeps is at 5: the store, at 4
        done = do(flow.process, "activity", "A-1", "2026-07-06", kind="call", with_whom="Sun")
        assert done.seq == 5
        entries = flow.process.deal("A-1").entries
        assert [e.data.get("with_whom") for e in entries[3:]] == ["Wang", "Sun"]
        # The new entry 5 is chained to the stored entry 4; only the lost id remains.
        assert [(f.kind, f.id) for f in _report(flow).findings] == [("deleted", gone)]


class TestNotificationIds:
    def test_are_never_given_twice_after_the_last_event_is_deleted(
        self, flow: Salesflow, tamper: Tamper
    ) -> None:
        gone = tamper.ids("B-1")[-1]
        tamper.delete("B-1", 3)
        do(flow.process, "activity", "A-1", "2026-07-06", kind="call")
        assert tamper.ids("A-1")[-1] == gone + 1
        report = _report(flow)
        assert [(f.kind, f.id) for f in report.findings] == [("deleted", gone)]


class TestCheckpoints:
    def test_a_checkpoint_holds_while_the_log_is_only_appended_to(
        self, flow: Salesflow, tamper: Tamper
    ) -> None:
        cp = take_checkpoint(flow.settings.store)
        assert (cp.position, cp.size) == (8, 8)
        do(flow.process, "activity", "B-1", "2026-07-06", kind="call")
        report = _report(flow, cp)
        assert report.intact and report.checkpoints_checked == 2  # recorded, and given

    def test_a_deletion_before_it_fails_it(self, flow: Salesflow, tamper: Tamper) -> None:
        cp = take_checkpoint(flow.settings.store)
        tamper.delete("A-1", 2)
        kinds = [f.kind for f in _report(flow, cp).findings]
        assert kinds.count("checkpoint_mismatch") == 2  # the recorded one and the given one

    def test_a_rewritten_chain_fails_it(self, flow: Salesflow, tamper: Tamper) -> None:
        cp = take_checkpoint(flow.settings.store)
        from adapters.chain import GENESIS, link
        from domain.opportunity import deal_id

        # Edit entry 2 of B-1 and rewrite its chain and the next, as a careful forger would.
        tamper.edit("B-1", 2, "Li", "Lu")
        prev = GENESIS
        for seq in (1, 2, 3):
            rows = tamper.run(
                "SELECT topic, state FROM {t} WHERE originator_id = %s AND originator_version = %s",
                tamper._oid("B-1"),
                seq,
            )
            prev = link(rows[0][0], deal_id("B-1"), seq, bytes(rows[0][1]), prev)
            tamper.set_chain("B-1", seq, prev)
        report = _report(flow, cp)
        assert {f.kind for f in report.findings} == {"checkpoint_mismatch"}


class TestEventsBeforeTheChain:
    def test_are_noted_once_and_the_chain_starts_after_them(
        self, flow: Salesflow, tamper: Tamper
    ) -> None:
        tamper.unchain_all()
        do(flow.process, "activity", "A-1", "2026-07-06", kind="call")
        report = _report(flow)
        assert report.intact, report.findings
        assert (report.chained, report.not_chained) == (1, 8)
        assert len(report.notes) == 1 and "not chained" in report.notes[0]


class TestTheMerkleTree:
    def test_matches_rfc_9162s_recursive_definition(self) -> None:
        def mth(hashes: list[bytes]) -> bytes:
            if not hashes:
                return hashlib.sha256(b"").digest()
            if len(hashes) == 1:
                return leaf(hashes[0])
            k = 1
            while k * 2 < len(hashes):
                k *= 2
            return node(mth(hashes[:k]), mth(hashes[k:]))

        hashes = [hashlib.sha256(bytes([n])).digest() for n in range(40)]
        frontier = Frontier()
        for n in range(41):
            assert frontier.root() == mth(hashes[:n]) == tree_root(hashes[:n]), n
            if n < 40:
                frontier.add(hashes[n])


class TestTheCommandLine:
    def test_verify_and_checkpoint_end_to_end(self, flow: Salesflow, tamper: Tamper) -> None:
        from pathlib import Path

        sf = Sf(url_of(flow), Path(flow.settings.store.path or "."))
        cp = json.loads(sf("checkpoint").stdout)
        assert set(cp) >= {"position", "root", "at"}
        assert "intact" in sf("verify", "--checkpoint", json.dumps(cp)).stdout
        tamper.edit("A-1", 4, "Wang", "Wong")
        out = sf("verify", code=1).stdout
        assert "edited: deal A-1 seq 4" in out
        doc = json.loads(sf("verify", "--json", code=1).stdout)
        assert doc["intact"] is False
        assert doc["findings"][0] == {
            "kind": "edited",
            "deal": "A-1",
            "seq": 4,
            "id": tamper.ids("A-1")[3],
            "detail": doc["findings"][0]["detail"],
        }
        bad = sf("verify", "--checkpoint", '{"position": 1}', code=2)
        assert "root" in bad.output + bad.stderr


def test_findings_are_plain_data() -> None:
    assert Finding("edited", "x", "K", 1, 2).__dict__ == {
        "kind": "edited",
        "detail": "x",
        "deal": "K",
        "seq": 1,
        "id": 2,
    }


class TestTheService:
    def test_serve_records_a_checkpoint_at_its_interval(self, flow: Salesflow) -> None:
        import time

        from adapters.log_access import snapshot
        from cli.serve import _checkpoints

        _deals(flow)
        stop = _checkpoints(flow.settings.store, 0.2)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with snapshot(flow.settings.store) as log:
                    recorded = log.checkpoints()
                if len(recorded) >= 2:
                    break
                time.sleep(0.1)
        finally:
            stop.set()
        assert len(recorded) >= 2 and recorded[0].position == 8
        assert _report(flow).intact

    def test_get_verify_answers_managers_what_verify_json_prints(self, store_url: str) -> None:
        from tests.api_support import workers

        with workers(store_url) as (api,):
            api.open("ZH-1")
            answer = api.get("/verify", "director.chen")
            assert answer.status_code == 200, answer.text
            doc = answer.json()
            assert (doc["intact"], doc["deals"], doc["events"]) == (True, 1, 1)
            assert set(doc) == set(Report().document())
            assert api.get("/verify", "xiao.zhang").status_code == 403
            assert api.get("/verify", None).status_code == 401
            cp = json.dumps({"position": 1, "root": "0" * 64, "at": "then"})
            mismatched = api.get(f"/verify?checkpoint={cp}", "director.chen").json()
            assert [f["kind"] for f in mismatched["findings"]] == ["checkpoint_mismatch"]
            bad = api.get("/verify?checkpoint=%7B%7D", "director.chen")
            assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


def test_verify_read_models_finds_a_read_model_row_edited(sf_any: Sf) -> None:
    from tests.conftest import enter_article_case

    enter_article_case(sf_any)
    assert json.loads(sf_any("verify", "--read-models", "--json").stdout)["intact"]
    store = Tamper(Store.parse(sf_any.store)).store
    table = "pipeline" if store.kind == "sqlite" else f'"{store.reporting_schema}".pipeline'
    Tamper(store).run(f"UPDATE {table} SET customer = 'someone else'")
    out = sf_any("verify", "--read-models", code=1).stdout
    assert "read model pipeline: only live" in out and "someone else" in out
    assert "read model pipeline: only rebuilt" in out
