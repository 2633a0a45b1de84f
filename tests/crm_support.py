"""Exports in the exact shapes the CRMs write them, made by the tests:
Salesforce's Data Loader CSV (every field quoted, CRLF line ends, a UTF-8
BOM, ISO times in UTC with milliseconds and ``Z``) and HubSpot's v3 JSON
(``propertiesWithHistory`` newest first, as the API answers)."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OPPORTUNITY_HEADER = (
    "Id",
    "Name",
    "Account.Name",
    "StageName",
    "Amount",
    "CloseDate",
    "CreatedDate",
    "Owner.Name",
    "IsClosed",
    "IsWon",
    "Loss_Reason__c",
)
HISTORY_HEADER = (
    "Id",
    "OpportunityId",
    "StageName",
    "Amount",
    "Probability",
    "CloseDate",
    "CreatedDate",
    "CreatedById",
    "IsDeleted",
)

WON, LOST, OPEN, BAD, BARE = (
    "0065g00000WON001",
    "0065g00000LOST02",
    "0065g00000OPEN03",
    "0065g00000BAD004",
    "0065g00000BARE05",
)
USER = "0055g00000USR01"

#: The opportunities: a deal won, one lost, one still open (it moved back a
#: stage), one whose history holds a stage the map does not know, one with no
#: history kept; Chinese names.
OPPORTUNITIES: list[tuple[str, ...]] = [
    (WON, "齿轮油年度采购", "宁夏煤业集团", "Closed Won", "120000", "2025-06-30",
     "2025-01-06T02:15:00.000Z", "王磊", "true", "true", ""),
    (LOST, "Hydraulic oil, line 3", "Baotou Steel, Inc.", "Closed Lost", "80000",
     "2025-05-20", "2025-02-03T09:00:00.000Z", "Li Wei", "true", "false", "Price"),
    (OPEN, "Compressor oil \"XL\" trial", "Shenhua Ordos", "Needs Analysis", "50000",
     "2026-03-31", "2025-03-10T08:30:00.000Z", "Li Wei", "false", "false", ""),
    (BAD, "Turbine oil", "Huaneng Power", "Legal Review", "30000", "2025-09-30",
     "2025-04-01T01:00:00.000Z", "王磊", "false", "false", ""),
    (BARE, "Grease, annual", "Inner Mongolia Yitai", "Qualification", "15000",
     "2026-06-30", "2025-05-05T05:00:00.000Z", "Li Wei", "false", "false", ""),
]  # fmt: skip

#: The history: the state after each change. Out of order on purpose (the
#: import orders by CreatedDate, ties by Id), with a deleted row and two rows
#: of one second.
HISTORY: list[tuple[str, ...]] = [
    ("0085g0000H000012", WON, "Negotiation/Review", "120000", "80", "2025-06-30",
     "2025-05-12T03:00:00.000Z", USER, "false"),
    ("0085g0000H000010", WON, "Prospecting", "100000", "10", "2025-06-30",
     "2025-01-06T02:15:00.000Z", USER, "false"),
    ("0085g0000H000011", WON, "Needs Analysis", "100000", "20", "2025-06-30",
     "2025-02-01T03:00:00.000Z", USER, "false"),
    ("0085g0000H000013", WON, "Value Proposition", "100000", "50", "2025-06-30",
     "2025-03-01T03:00:00.000Z", USER, "false"),
    ("0085g0000H000014", WON, "Proposal/Price Quote", "120000", "65", "2025-06-30",
     "2025-04-01T03:00:00.000Z", USER, "false"),
    ("0085g0000H000015", WON, "Closed Won", "120000", "100", "2025-06-30",
     "2025-06-20T03:00:00.000Z", USER, "false"),
    ("0085g0000H000020", LOST, "Prospecting", "80000", "10", "2025-05-20",
     "2025-02-03T09:00:00.000Z", USER, "false"),
    ("0085g0000H000021", LOST, "Qualification", "80000", "10", "2025-05-20",
     "2025-02-20T09:00:00.000Z", USER, "false"),
    ("0085g0000H000022", LOST, "Needs Analysis", "80000", "20", "2025-05-20",
     "2025-03-20T09:00:00.000Z", USER, "false"),
    ("0085g0000H000023", LOST, "Closed Lost", "80000", "0", "2025-05-20",
     "2025-05-20T09:00:00.000Z", USER, "false"),
    ("0085g0000H000030", OPEN, "Prospecting", "50000", "10", "2026-03-31",
     "2025-03-10T08:30:00.000Z", USER, "false"),
    ("0085g0000H000032", OPEN, "Needs Analysis", "50000", "20", "2026-03-31",
     "2025-04-15T10:00:00.000Z", USER, "false"),
    ("0085g0000H000031", OPEN, "Value Proposition", "50000", "50", "2026-03-31",
     "2025-04-15T10:00:00.000Z", USER, "false"),
    ("0085g0000H000033", OPEN, "Perception Analysis", "55000", "50", "2026-03-31",
     "2025-04-20T10:00:00.000Z", USER, "true"),
    ("0085g0000H000034", OPEN, "Needs Analysis", "45000", "20", "2026-03-31",
     "2025-05-02T10:00:00.000Z", USER, "false"),
    ("0085g0000H000040", BAD, "Prospecting", "30000", "10", "2025-09-30",
     "2025-04-01T01:00:00.000Z", USER, "false"),
    ("0085g0000H000041", BAD, "Legal Review", "30000", "60", "2025-09-30",
     "2025-04-10T01:00:00.000Z", USER, "false"),
]  # fmt: skip


def data_loader_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """CSV as Salesforce's Data Loader writes it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def salesforce_export(
    folder: Path,
    opportunities: Sequence[Sequence[str]] = OPPORTUNITIES,
    history: Sequence[Sequence[str]] = HISTORY,
) -> tuple[Path, Path]:
    """Opportunity.csv and OpportunityHistory.csv in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    opp, hist = folder / "Opportunity.csv", folder / "OpportunityHistory.csv"
    opp.write_bytes(data_loader_csv(OPPORTUNITY_HEADER, opportunities))
    hist.write_bytes(data_loader_csv(HISTORY_HEADER, history))
    return opp, hist


PIPELINES: dict[str, Any] = {
    "results": [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": [
                {
                    "id": sid,
                    "label": label,
                    "displayOrder": n,
                    "archived": False,
                    "metadata": {"isClosed": str(closed).lower(), "probability": p},
                }
                for n, (sid, label, closed, p) in enumerate(
                    (
                        ("appointmentscheduled", "Appointment Scheduled", False, "0.2"),
                        ("qualifiedtobuy", "Qualified To Buy", False, "0.4"),
                        ("presentationscheduled", "Presentation Scheduled", False, "0.6"),
                        ("decisionmakerboughtin", "Decision Maker Bought-In", False, "0.8"),
                        ("contractsent", "Contract Sent", False, "0.9"),
                        ("closedwon", "Closed Won", True, "1.0"),
                        ("closedlost", "Closed Lost", True, "0.0"),
                        ("legalreview", "Legal Review", False, "0.85"),
                    )
                )
            ],
        }
    ]
}


def _versions(*changes: tuple[str, str]) -> list[dict[str, Any]]:
    """A property's versions, newest first as HubSpot answers."""
    return [
        {
            "value": value,
            "timestamp": at,
            "sourceType": "CRM_UI",
            "sourceId": "userId:7001",
            "updatedByUserId": 7001,
        }
        for at, value in reversed(changes)
    ]


def _deal(ident: str, name: str, stage: str, value: str, created: str, **history: Any) -> Any:
    return {
        "id": ident,
        "properties": {
            "dealname": name,
            "dealstage": stage,
            "amount": value,
            "pipeline": "default",
            "createdate": created,
            "closedate": "2025-06-30T00:00:00Z",
            "hubspot_owner_id": "9001",
            "closed_lost_reason": history.pop("reason", None),
            "hs_object_id": ident,
        },
        "propertiesWithHistory": history,
        "createdAt": created,
        "updatedAt": "2025-07-01T00:00:00.000Z",
        "archived": False,
    }


HUBSPOT_DEALS: list[Any] = [
    _deal(
        "1001",
        "润滑油框架协议",
        "closedwon",
        "200000",
        "2025-01-10T01:00:00.000Z",
        dealstage=_versions(
            ("2025-01-10T01:00:00.000Z", "appointmentscheduled"),
            ("2025-02-10T01:00:00.000Z", "presentationscheduled"),
            ("2025-03-10T01:00:00.000Z", "decisionmakerboughtin"),
            ("2025-05-10T01:00:00.000Z", "contractsent"),
            ("2025-06-10T01:00:00.000Z", "closedwon"),
        ),
        amount=_versions(
            ("2025-01-10T01:00:00.000Z", "150000"),
            ("2025-05-10T01:00:00.000Z", "200000"),
        ),
    ),
    _deal(
        "1002",
        "Fleet engine oil",
        "closedlost",
        "60000",
        "2025-02-01T01:00:00.000Z",
        reason="Too expensive",
        dealstage=_versions(
            ("2025-02-01T01:00:00.000Z", "qualifiedtobuy"),
            ("2025-04-01T01:00:00.000Z", "closedlost"),
        ),
        amount=_versions(("2025-02-01T01:00:00.000Z", "60000")),
    ),
    _deal(
        "1003",
        "Cutting fluids",
        "presentationscheduled",
        "40000",
        "2025-03-01T01:00:00.000Z",
        dealstage=_versions(
            ("2025-03-01T01:00:00.000Z", "appointmentscheduled"),
            ("2025-04-01T01:00:00.000Z", "presentationscheduled"),
        ),
        amount=_versions(("2025-03-01T01:00:00.000Z", "40000")),
    ),
    _deal(
        "1004",
        "Turbine oil",
        "legalreview",
        "30000",
        "2025-03-05T01:00:00.000Z",
        dealstage=_versions(
            ("2025-03-05T01:00:00.000Z", "appointmentscheduled"),
            ("2025-04-05T01:00:00.000Z", "legalreview"),
        ),
    ),
]


def hubspot_export(folder: Path, deals: Sequence[Any] = HUBSPOT_DEALS) -> tuple[Path, Path]:
    """deals.json and pipelines.json in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    d, p = folder / "deals.json", folder / "pipelines.json"
    d.write_text(json.dumps(list(deals), ensure_ascii=False, indent=2), encoding="utf-8")
    p.write_text(json.dumps(PIPELINES, indent=2), encoding="utf-8")
    return d, p


# -- a generated export of any size (tests and bench/import.py) --------------------

_OPEN = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Id. Decision Makers",
    "Value Proposition",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
_OWNERS = ("王磊", "Li Wei", "Zhang Min", "陈静")
_REASONS = ("Price", "Features", "No Decision", "Incumbent", "")
_START = datetime(2023, 1, 2, tzinfo=UTC)


def _time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_export(folder: Path, opportunities: int, rows: int, seed: int = 14) -> tuple[Path, Path]:
    """Opportunity.csv and OpportunityHistory.csv in ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    opp_path, hist_path = folder / "Opportunity.csv", folder / "OpportunityHistory.csv"
    per_deal = max(1, rows // opportunities)
    extra = rows - per_deal * opportunities
    with (
        opp_path.open("w", encoding="utf-8-sig", newline="") as o,
        hist_path.open("w", encoding="utf-8-sig", newline="") as h,
    ):
        opp = csv.writer(o, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        hist = csv.writer(h, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        opp.writerow(OPPORTUNITY_HEADER)
        hist.writerow(HISTORY_HEADER)
        row_id = 0
        for n in range(opportunities):
            oid = f"006G{n:011d}"
            count = per_deal + (1 if n < extra else 0)
            at = _START + timedelta(minutes=rng.randrange(0, 900 * 24 * 60))
            created = at
            amount = rng.randrange(10, 500) * 1000
            ending = rng.random()
            closing = "Closed Won" if ending < 0.3 else "Closed Lost" if ending < 0.6 else None
            stage_index = 0
            label = _OPEN[0]
            for r in range(count):
                last = r == count - 1
                if r and rng.random() < 0.35:
                    amount = max(1000, amount + rng.randrange(-40, 60) * 1000)
                elif r:
                    step = 1 if rng.random() < 0.85 or stage_index == 0 else -1
                    stage_index = min(len(_OPEN) - 1, max(0, stage_index + step))
                    label = _OPEN[stage_index]
                if last and closing:
                    label = closing
                hist.writerow(
                    (
                        f"008G{row_id:011d}",
                        oid,
                        label,
                        amount,
                        "50",
                        (at + timedelta(days=30)).date().isoformat(),
                        _time(at),
                        "005G0000000USR1",
                        "false",
                    )
                )
                row_id += 1
                at += timedelta(hours=rng.randrange(1, 24 * 20))
            opp.writerow(
                (
                    oid,
                    f"Lubricants contract {n}",
                    f"Customer {n % 997} 有限公司",
                    label,
                    amount,
                    at.date().isoformat(),
                    _time(created),
                    rng.choice(_OWNERS),
                    "true" if closing else "false",
                    "true" if closing == "Closed Won" else "false",
                    rng.choice(_REASONS) if closing == "Closed Lost" else "",
                )
            )
    return opp_path, hist_path
