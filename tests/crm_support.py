"""Exports in the exact shapes the CRMs write them, made by the tests:
Salesforce's Data Loader CSV (every field quoted, CRLF line ends, a UTF-8
BOM, ISO times in UTC with milliseconds and ``Z``) and HubSpot's v3 JSON
(``propertiesWithHistory`` newest first, as the API answers)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
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
