"""The write bodies' JSON Schemas, as the OpenAPI document publishes them,
and the gate every body passes: the very schema published, so the API
refuses exactly what its document calls invalid (then the command's model
checks what a schema cannot say).

The schemas come from the body models (``api.bodies``), themselves derived
from the command models, refined with what pydantic cannot write from a
model: grading one way or the other, a correction of at least one detail,
and every factor of this server's evaluation model.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import jsonschema_rs

from api import bodies
from domain.commands import AMOUNT_SHAPE, NAME_SHAPE, TEXT_SHAPE
from domain.config import ProcessConfig
from domain.vocabulary import KEY_PATTERN

REF = "#/components/schemas/{model}"
#: A pattern's meaning, said instead of the pattern itself.
_SAID = {
    TEXT_SHAPE: "must hold something other than spaces, and no control characters",
    NAME_SHAPE: "must hold something other than spaces, and no control characters",
    AMOUNT_SHAPE: "is not an amount (digits, a '.' and at most two decimals)",
    bodies.WHEN_SHAPE: (
        "is not an ISO 8601 date or time from 1900 (YYYY-MM-DD[THH:MM[:SS][±HH:MM]])"
    ),
    f"^{KEY_PATTERN.strip('^$')}$": "is not a deal key",
    KEY_PATTERN: "is not a deal key",
}
#: What a body given neither way (or both) is told.
_WAYS = {
    "grade": "grade either by rule (likelihood and close_by) or by hand (grade and reason),"
    " not both",
    "correct": "give at least one of customer, title, owner, tender_expected",
}


def _one_of_the_ways(schema: dict[str, Any]) -> None:
    """Grading is by rule (likelihood and close_by) or by hand (grade and reason)."""
    rule, hand = ["likelihood", "close_by"], ["grade", "reason"]

    def only(given: list[str], other: list[str]) -> dict[str, Any]:
        return {"required": given, "not": {"anyOf": [{"required": [m]} for m in other]}}

    schema["oneOf"] = [only(rule, hand), only(hand, rule)]


def _at_least_one(schema: dict[str, Any]) -> None:
    details = ["customer", "title", "owner", "tender_expected"]
    schema["anyOf"] = [{"required": [d]} for d in details]


def _every_factor(schema: dict[str, Any], config: ProcessConfig) -> None:
    factors = [f.value for f in config.evaluation.required_factors]
    score = {"type": "integer", "minimum": 1, "maximum": 5}
    schema["properties"]["scores"] = {
        "type": "object",
        "description": "A whole score 1-5 for every factor of the evaluation model.",
        "properties": dict.fromkeys(factors, score),
        "required": factors,
        "additionalProperties": False,
    }


class Gate:
    """The published body schemas of one configuration, and their validators."""

    def __init__(self, config: ProcessConfig) -> None:
        self.components: dict[str, Any] = {}
        models = {w.name: w.body for w in bodies.WRITES.values()} | {"open": bodies.OPEN_BODY}
        for model in models.values():
            schema = model.model_json_schema(ref_template=REF)
            self.components.update(schema.pop("$defs", {}))
            self.components[model.__name__] = schema
        _one_of_the_ways(self.components[bodies.WRITES["grade"].body.__name__])
        _at_least_one(self.components[bodies.WRITES["correct"].body.__name__])
        _every_factor(self.components[bodies.WRITES["assess"].body.__name__], config)
        root = {"components": {"schemas": self.components}}
        self._check = {
            name: jsonschema_rs.Draft202012Validator(
                {**deepcopy(root), "$ref": REF.format(model=model.__name__)},
                validate_formats=True,
            )
            for name, model in models.items()
        }

    def errors(self, command: str, data: Any) -> list[dict[str, str | None]]:
        """What is wrong with ``data`` as the body of ``command`` (none: it passes)."""
        found: list[dict[str, str | None]] = []
        for e in self._check[command].iter_errors(data):
            path = [str(p) for p in e.instance_path]
            kind = type(e.kind).__name__
            if kind == "AdditionalProperties":
                unexpected: list[Any] = getattr(e.kind, "unexpected", [])
                for name in unexpected:
                    field = ".".join([*path, str(name)])
                    found.append({"field": field, "message": "is not a member of this body"})
                continue
            message = e.message
            if not path and kind in ("OneOfNotValid", "OneOfMultipleValid", "AnyOf"):
                message = _WAYS.get(command, message)
            elif kind == "AnyOf":  # a member that may be null, or a number or a text
                message = _closest(getattr(e.kind, "context", []), message)
            for shape, said in _SAID.items():
                if shape in message:
                    message = f"{_shown(e.instance)} {said}"
            found.append({"field": ".".join(path) or None, "message": message})
        return found


def _closest(branches: list[list[Any]], otherwise: str) -> str:
    """Of the ways a value could have passed, what was wrong in the nearest:
    not "not null", not "not a number" when it was text."""
    said = [str(sub.message) for branch in branches for sub in branch]
    for message in said:
        if "is not of type" not in message:
            return message
    return otherwise


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
