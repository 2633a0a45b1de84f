"""The article's case and a handful of sample deals, entered through the
application service exactly as a salesperson would through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from domain import commands as c
from domain.application import SalesProcess
from domain.errors import UnknownDeal
from domain.synthetic import Population, save_deals
from domain.vocabulary import AssessmentFactor

ARTICLE_CASE = "NX-2026-031"
_ALL_PASS = {f.value: 4 for f in AssessmentFactor}

Step = tuple[str, type[c.Command], dict[str, Any]]


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def article_case() -> list[Step]:
    """小张's Ningxia plant: the customer screens suppliers; we never assessed or graded."""
    steps: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-07-01",
                "customer": "Ningxia new plant project",
                "title": "Industrial equipment oils for the new plant",
                "owner": "xiao.zhang",
                "tender_expected": "2026-11-15",
                "note": "heard of it from former customer B",
            },
        ),
        (
            "activity",
            c.HoldActivity,
            {
                "at": "2026-07-06",
                "kind": "visit",
                "with_whom": "project lead A",
                "outcome": "took the brochures, no further access",
            },
        ),
        (
            "identify_stakeholder",
            c.IdentifyStakeholder,
            {"at": "2026-07-06", "name": "Project lead A", "role": "decision_maker"},
        ),
        (
            "activity",
            c.HoldActivity,
            {
                "at": "2026-07-20",
                "kind": "call",
                "with_whom": "design lead",
                "outcome": "offers to specify our products if time allows",
            },
        ),
        (
            "identify_stakeholder",
            c.IdentifyStakeholder,
            {"at": "2026-07-20", "name": "Design lead", "role": "designer"},
        ),
        (
            "activity",
            c.HoldActivity,
            {
                "at": "2026-09-08",
                "kind": "visit",
                "with_whom": "lead's subordinate",
                "outcome": "tender far off; three suppliers registered",
            },
        ),
        ("observe_step", c.ObserveStep, {"at": "2026-09-08", "step": "supplier_screening"}),
        (
            "activity",
            c.HoldActivity,
            {
                "at": "2026-09-09",
                "kind": "visit",
                "with_whom": "deputy manager",
                "outcome": "took a card, nothing more",
            },
        ),
        (
            "activity",
            c.HoldActivity,
            {
                "at": "2026-09-09",
                "kind": "call",
                "with_whom": "project manager",
                "outcome": "hung up",
            },
        ),
    ]
    return steps


def _developed(at: str, close_by: str) -> list[Step]:
    steps: list[Step] = [
        *(
            ("collect", c.Collect, {"at": at, "element": e, "text": t})
            for e, t in (
                ("needs", "gear and hydraulic oils for two lines"),
                ("schedule", "tender in Q4"),
                ("budget", "approved"),
                ("competition", "two foreign brands"),
                ("decision", "plant manager with purchasing"),
                ("priorities", "oil life"),
            )
        ),
        ("assess", c.Assess, {"at": at, "scores": _ALL_PASS}),
        ("grade", c.GradeDeal, {"at": at, "likelihood": 0.7, "close_by": close_by}),
    ]
    return steps


def samples() -> dict[str, list[Step]]:
    """Five sample deals, one for each way a deal goes."""
    won: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-03-02",
                "customer": "Shanxi Coking Co.",
                "value": "1100000",
                "title": "Compressor oil supply",
                "owner": "li.wei",
            },
        ),
        *_developed("2026-03-10", "2026-06-01"),
        ("advance", c.Plain, {"at": "2026-03-12"}),
        ("find_insider", c.NamePerson, {"at": "2026-03-20", "name": "Engineer Wang"}),
        ("engage", c.NamePerson, {"at": "2026-04-02", "name": "Plant manager Zhao"}),
        ("advance", c.Plain, {"at": "2026-04-05"}),
        (
            "influence",
            c.Influence,
            {"at": "2026-05-10", "criteria": ["oil drain interval >= 8000 h"]},
        ),
        ("advance", c.Plain, {"at": "2026-05-12"}),
        ("bid", c.SubmitBid, {"at": "2026-06-01", "price": "1250000", "margin": 0.22}),
        ("advance", c.Plain, {"at": "2026-06-20"}),
        ("approve_contract", c.Plain, {"at": "2026-07-01"}),
        ("sign", c.Sign, {"at": "2026-07-03", "value": "1250000"}),
        ("advance", c.Plain, {"at": "2026-07-10"}),
        ("trial", c.Result, {"at": "2026-09-01", "result": "wear down 18% on line 2"}),
    ]
    price_fight: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-02-01",
                "customer": "Hebei Steel Works",
                "value": "1000000",
                "title": "Rolling-mill oils",
                "owner": "xiao.zhang",
            },
        ),
        *_developed("2026-02-10", "2026-05-01"),
        ("advance", c.Plain, {"at": "2026-02-11"}),
        ("find_insider", c.NamePerson, {"at": "2026-03-01", "name": "Buyer Liu"}),
        ("engage", c.NamePerson, {"at": "2026-03-15", "name": "Chief engineer Sun"}),
        ("advance", c.Plain, {"at": "2026-03-20"}),
        (
            "force",
            c.Force,
            {
                "at": "2026-04-15",
                "reason": "tender published early",
                "approved_by": "director.chen",
            },
        ),
        ("bid", c.SubmitBid, {"at": "2026-05-05", "price": "980000", "margin": 0.12}),
        (
            "lose",
            c.Lose,
            {"at": "2026-06-01", "reason": "price", "competitor": "Lowprice Lubricants"},
        ),
    ]
    no_insider: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-05-04",
                "customer": "Gansu Cement Group",
                "value": "650000",
                "title": "Kiln gear oils",
                "owner": "li.wei",
            },
        ),
        *_developed("2026-05-10", "2026-08-01"),
        ("advance", c.Plain, {"at": "2026-05-12"}),
        ("engage", c.NamePerson, {"at": "2026-06-01", "name": "Deputy GM Ma"}),
        (
            "force",
            c.Force,
            {
                "at": "2026-06-15",
                "reason": "customer asked for a proposal",
                "approved_by": "director.chen",
            },
        ),
        ("estimate", c.EstimateValue, {"at": "2026-08-20", "value": "720000"}),
        (
            "activity",
            c.HoldActivity,
            {"at": "2026-11-02", "kind": "demo", "with_whom": "maintenance team"},
        ),
        ("observe_step", c.ObserveStep, {"at": "2026-11-02", "step": "criteria_definition"}),
    ]
    failed: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-06-01",
                "customer": "Inner Mongolia Mine",
                "value": "400000",
                "title": "Haul-truck engine oils",
                "owner": "xiao.zhang",
            },
        ),
        (
            "collect",
            c.Collect,
            {"at": "2026-06-05", "element": "budget", "text": "funding not secured"},
        ),
        (
            "assess",
            c.Assess,
            {"at": "2026-06-08", "scores": {**_ALL_PASS, "funding": 1, "technical_fit": 3}},
        ),
        ("abandon", c.Reasoned, {"at": "2026-06-09", "reason": "funding at risk"}),
    ]
    nurtured: list[Step] = [
        (
            "open_deal",
            c.OpenDeal,
            {
                "at": "2026-04-01",
                "customer": "Shandong Paper Mill",
                "value": "300000",
                "title": "Paper-machine circulating oils",
                "owner": "li.wei",
            },
        ),
        ("assess", c.Assess, {"at": "2026-04-10", "scores": _ALL_PASS}),
        ("grade", c.GradeDeal, {"at": "2026-04-10", "likelihood": 0.25, "close_by": "2027-06-30"}),
        (
            "nurture",
            c.Reasoned,
            {"at": "2026-04-11", "reason": "grade C: maintain, watch for changes"},
        ),
    ]
    return {
        ARTICLE_CASE: article_case(),
        "SX-2026-012": won,
        "HB-2026-007": price_fight,
        "GS-2026-019": no_insider,
        "NM-2026-004": failed,
        "SD-2026-022": nurtured,
    }


def enter(process: SalesProcess, key: str, steps: list[Step], by: str = "demo") -> None:
    """Run a deal's steps through the application service."""
    for method, model, fields in steps:
        handler: Callable[[Any], Any] = getattr(process, method)
        at = fields["at"]
        moment = _t(at) if len(at) > 10 else _t(at + "T09:00:00")
        handler(model.model_validate({**fields, "key": key, "at": moment, "by": by}))


#: The team's past deals the demo loads beside the sample deals, so that the
#: reports have a history to speak of: PAST-0001 .. PAST-0150.
HISTORY_KEYS = tuple(f"PAST-{n:04d}" for n in range(1, 151))
_HISTORY = Population(
    start=datetime(2024, 11, 1, tzinfo=UTC),
    days=640,
    owners=("li.wei", "xiao.zhang", "zhao.min", "chen.jie"),
    customers=(
        "Anhui Conch Cement",
        "Baotou Steel",
        "Datong Coal Mine",
        "Fujian Paper Group",
        "Guangxi Sugar Mill",
        "Harbin Turbine Works",
        "Hunan Nonferrous Metals",
        "Jiangsu Shagang Steel",
        "Jilin Chemical Fibre",
        "Liaoning Port Machinery",
        "Ningbo Plastics",
        "Qinghai Salt Lake Potash",
        "Shaanxi Coal Chemical",
        "Sichuan Glass Works",
        "Tangshan Ceramics",
        "Tianjin Bearing Plant",
        "Wuhan Heavy Machinery",
        "Xinjiang Aluminium",
        "Yunnan Copper",
        "Zhejiang Textile Mill",
    ),
)


def load_history(process: SalesProcess) -> int:
    """Load the team's past deals (HISTORY_KEYS) if they are not in the
    store yet; returns how many were loaded."""
    try:
        process.deal(HISTORY_KEYS[0])
    except UnknownDeal:
        save_deals(process, list(HISTORY_KEYS), seed=2026, people=_HISTORY)
        return len(HISTORY_KEYS)
    return 0


def load_demo(process: SalesProcess) -> tuple[list[str], list[str]]:
    """Load every sample deal not yet in the store; returns (loaded, already there)."""
    loaded, present = [], []
    for key, steps in samples().items():
        try:
            process.deal(key)
        except UnknownDeal:
            enter(process, key, steps)
            loaded.append(key)
        else:
            present.append(key)
    return loaded, present
