"""The write commands over HTTP: each route's body is derived from the
command's model in ``domain.commands``, one definition of each input.

A body holds the command's members but the deal (in the path), the actor (the
caller) and, for ``force``, the approver (the caller too); ``at`` is optional
(default now) and read as the command line reads ``--at``; ``activity``'s
person is ``with``. A body is checked twice: against the JSON Schema the API
publishes for it (``api.schemas``), then by the command's own model, which
also checks what a schema cannot say (an ``at`` in the future, a due date
before ``at``). Amounts keep every digit given: the body is read with
decimals, never floats.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic.fields import FieldInfo

from domain import commands as c
from domain.errors import InputError
from domain.times import now, parse_when

if TYPE_CHECKING:
    from api.schemas import Gate


@dataclass(frozen=True)
class Write:
    """One write command: its CLI name, the application's method, the
    command's model and the body derived from it."""

    name: str
    method: str
    command: type[c.Command]
    body: type[BaseModel]
    about: str


class BodyError(Exception):
    """A body refused before the domain: each field and what is wrong with it."""

    def __init__(self, errors: list[dict[str, str | None]]) -> None:
        super().__init__("; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors))
        self.errors = errors


#: Members a body never carries: they come from the path and the caller.
_NOT_IN_BODY = {"key", "by", "at"}
#: Members whose name in a body is not the model's.
_ALIASES = {"with_whom": "with"}
#: A time as the API takes it: a date, or a date and a time, with or without
#: an offset (RFC 3339's shape, the seconds and the offset optional). A
#: business time (``at``) lies from 1900 to now, a time to view at (``as_of``,
#: ``known_at``, a movement's window) from 1900 to 8999.
_DAY_TIME = (
    "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?(Z|[+-][01][0-9]:[0-5][0-9])?)?$"
)
WHEN_SHAPE = f"^(19|20)[0-9]{{2}}{_DAY_TIME}"
VIEW_SHAPE = f"^(19|[2-8][0-9])[0-9]{{2}}{_DAY_TIME}"
_AT = (
    "When it happened, ISO 8601 (default now); a time without an offset is in the"
    " server's time zone, a date alone is 00:00 of that day."
)


def _body(command: type[c.Command], name: str, drop: tuple[str, ...] = ()) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for field, info in command.model_fields.items():
        if field in _NOT_IN_BODY or field in drop:
            continue
        alias = _ALIASES.get(field)
        named = {"alias": alias, "validation_alias": alias, "alias_priority": 2} if alias else {}
        fields[field] = (info.annotation, FieldInfo.merge_field_infos(info, **named))
    fields["at"] = (
        Annotated[str, StringConstraints(pattern=WHEN_SHAPE)] | None,
        Field(None, description=_AT, examples=["2026-03-01T09:00:00+08:00"]),
    )
    title = "".join(part.capitalize() for part in re.split(r"[-_]", name)) + "Body"
    return create_model(
        title,
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The body of ``{name}``.",
        **fields,
    )


def _write(name: str, method: str, command: type[c.Command], about: str, **kw: Any) -> Write:
    return Write(name, method, command, _body(command, name, **kw), about)


WRITES: dict[str, Write] = {
    w.name: w
    for w in (
        _write("customer-step", "observe_step", c.ObserveStep, "Record the customer's step."),
        _write("collect", "collect", c.Collect, "Record an assessment element."),
        _write("assess", "assess", c.Assess, "Assess in the evaluation model."),
        _write("grade", "grade", c.GradeDeal, "Grade by rule or by hand."),
        _write("stakeholder", "identify_stakeholder", c.IdentifyStakeholder, "Name a person."),
        _write("stakeholder-left", "stakeholder_left", c.StakeholderLeaves, "A person left."),
        _write("insider", "find_insider", c.NamePerson, "An insider was found."),
        _write("engage", "engage", c.NamePerson, "A key person was engaged."),
        _write("activity", "activity", c.HoldActivity, "An activity was held."),
        _write("shortlist", "shortlist", c.Shortlist, "We were shortlisted."),
        _write("influence", "influence", c.Influence, "The standard was influenced."),
        _write("tender", "tender", c.ReceiveTender, "The tender was received."),
        _write("estimate", "estimate", c.EstimateValue, "Estimate what the deal is worth."),
        _write("bid", "bid", c.SubmitBid, "A bid was submitted."),
        _write("approve-contract", "approve_contract", c.Plain, "The contract was approved."),
        _write("sign", "sign", c.Sign, "The contract was signed."),
        _write("trial", "trial", c.Result, "The trial was evaluated."),
        _write("oil-analysis", "oil_analysis", c.Result, "The oil analysis was followed up."),
        _write("advance", "advance", c.Plain, "Advance through the stage's gate."),
        _write(
            "force",
            "force",
            c.Force,
            "Force past the gate; the caller approves.",
            drop=("approved_by",),
        ),
        _write("lose", "lose", c.Lose, "The deal was lost."),
        _write("withdraw", "withdraw", c.Reasoned, "We withdrew."),
        _write("abandon", "abandon", c.Reasoned, "We abandoned the deal."),
        _write("nurture", "nurture", c.Reasoned, "Keep the deal to nurture."),
        _write("reopen", "reopen", c.Reasoned, "Reopen a closed deal."),
        _write("retract", "retract", c.Retract, "Retract an entry, with a reason."),
        _write("correct", "correct", c.CorrectDetails, "Put the deal's details right."),
    )
}
#: ``POST /deals``: its body carries the key.
_OPENING = _body(c.OpenDeal, "open")
OPEN_BODY = create_model("OpenBody", __base__=_OPENING, key=(str, c.OpenDeal.model_fields["key"]))
OPEN = Write("open", "open_deal", c.OpenDeal, OPEN_BODY, "Open a deal in development.")


def parse(raw: bytes) -> Any:
    """The body's JSON, numbers with a fraction as decimals (``ValueError`` if
    it is not JSON)."""
    return json.loads(raw, parse_float=Decimal)


def _words(message: str) -> str:
    """A command's message in the API's words: ``--close-by`` is ``close_by``."""
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_"), message)


def _errors(exc: ValidationError) -> list[dict[str, str | None]]:
    out: list[dict[str, str | None]] = []
    for e in exc.errors(include_url=False):
        loc = [str(p) for p in e["loc"]]
        if loc and loc[0] in _ALIASES:
            loc[0] = _ALIASES[loc[0]]
        msg = _words(str(e["msg"]).removeprefix("Value error, "))
        out.append({"field": ".".join(loc) or None, "message": msg})
    return out


def command_of(
    gate: Gate,
    write: Write,
    data: dict[str, Any],
    tz: ZoneInfo,
    **given: Any,
) -> c.Command:
    """The command of a body: checked against its published schema, then by
    the command's model, with ``given`` (the key, the actor, an approver)."""
    refused = gate.errors(write.name, data)
    if refused:
        raise BodyError(refused)
    fields = {_model_name(k): v for k, v in data.items() if k != "at"}
    try:
        at = _at(data.get("at"), tz)
    except InputError as exc:
        raise BodyError([{"field": "at", "message": str(exc)}]) from None
    try:
        return write.command.model_validate({**fields, **given, "at": at})
    except ValidationError as exc:
        raise BodyError(_errors(exc)) from None


def _model_name(member: str) -> str:
    return {v: k for k, v in _ALIASES.items()}.get(member, member)


def _at(text: str | None, tz: ZoneInfo) -> datetime:
    return now().astimezone(tz) if text is None else parse_when(text, tz)
