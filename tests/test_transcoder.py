"""The fast transcoder reads and writes exactly the library's stored format."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from cli.context import Salesflow
from domain.application import SalesProcess
from domain.transcoder import FastJSONTranscoder
from tests.conftest import make_flow
from tests.support import do, open_deal, walk_to_bidding


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


@pytest.fixture
def library() -> JSONTranscoder:
    return _registered(JSONTranscoder())


@pytest.fixture
def fast() -> JSONTranscoder:
    return _registered(FastJSONTranscoder())


MOMENT = datetime(2026, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)
STATES: list[Any] = [
    {"timestamp": MOMENT, "occurred_at": MOMENT, "actor": "gen", "note": None},
    {
        "at": [MOMENT.astimezone(timezone(timedelta(hours=8))), datetime(2026, 1, 1)],
        "shanghai": datetime(1900, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
        "price": Decimal("980000.50"),
        "id": uuid4(),
    },
    {"nested": {"deeper": [{"id": UUID(int=7)}, [Decimal("-1E+3"), {"x": MOMENT}]]}},
    {"scores": {"funding": 1, "price": 5}, "weights": {"funding": 1.0}, "mean": 3.7778},
    {"text": '大客户 ✓ "quoted" \\ back\nslash\t\u2028', "empty": {}, "none": []},
    {"ints": [0, -1, 2**63 - 1, -(2**63), 2**64, -(2**64) - 1, 10**30], "big": 2**70},
    {"floats": [0.1, -0.0, 1e16, 5e-324, 1.7976931348623157e308, 1e-7, 2.0**63]},
    {"odd": [float("nan"), float("inf"), float("-inf")]},
    {"looks_tagged": {"_type_": "uuid_hex"}, "three": {"_type_": "x", "_data_": 1, "y": 2}},
    [1, "two", {"three": MOMENT}],
    "just a string",
]


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN and types compared too."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return bool(b != b)
    if isinstance(a, datetime):
        return bool(a == b and a.utcoffset() == b.utcoffset())
    return bool(a == b)


@pytest.mark.parametrize("state", STATES, ids=range(len(STATES)))
def test_what_the_library_wrote_reads_the_same_with_either(
    state: Any, library: JSONTranscoder, fast: JSONTranscoder
) -> None:
    stored = library.encode(state)
    assert _same(fast.decode(stored), library.decode(stored))
    assert _same(fast.decode(stored), state)


@pytest.mark.parametrize("state", STATES, ids=range(len(STATES)))
def test_what_the_fast_one_writes_is_the_librarys_bytes(
    state: Any, library: JSONTranscoder, fast: JSONTranscoder
) -> None:
    stored = fast.encode(state)
    assert stored == library.encode(state)
    assert _same(library.decode(stored), fast.decode(stored))


def test_random_documents_read_the_same_with_either(
    library: JSONTranscoder, fast: JSONTranscoder
) -> None:
    rng = random.Random(20261101)
    for _ in range(500):
        stored = library.encode(_random_value(rng, depth=0))
        assert _same(fast.decode(stored), library.decode(stored))


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(10 if depth < 4 else 7)
    scalars: list[Any] = [
        rng.randint(-(2**70), 2**70),
        rng.randint(-5, 5),
        rng.uniform(-1e20, 1e20),
        "".join(chr(rng.randint(1, 0xD7FF)) for _ in range(rng.randint(0, 6))),
        MOMENT + timedelta(seconds=rng.randint(0, 10**8)),
        Decimal(rng.randint(-(10**9), 10**9)) / 100,
        UUID(int=rng.getrandbits(128)),
    ]
    if kind < 7:
        return scalars[kind]
    if kind == 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


def test_a_dict_shaped_like_a_tag_is_read_as_its_value_by_both(
    library: JSONTranscoder, fast: JSONTranscoder
) -> None:
    stored = b'[{"_type_":"decimal_str","_data_":"1.5"},{"_type_":"uuid_hex","_data_":"%s"}]' % (
        UUID(int=5).hex.encode()
    )
    assert library.decode(stored) == fast.decode(stored) == [Decimal("1.5"), UUID(int=5)]


def test_an_unknown_tag_is_refused_by_both(library: JSONTranscoder, fast: JSONTranscoder) -> None:
    stored = b'{"at":{"_type_":"date_iso","_data_":"2026-07-01"}}'
    for transcoder in (library, fast):
        with pytest.raises(TranscodingNotRegisteredError, match="date_iso"):
            transcoder.decode(stored)


def test_what_is_not_json_is_refused_by_both(library: JSONTranscoder, fast: JSONTranscoder) -> None:
    for stored in (b'{"a": 1', b"\xff\xfe", b""):
        for transcoder in (library, fast):
            with pytest.raises(ValueError):
                transcoder.decode(stored)


class _LibraryTranscoded(SalesProcess):
    """The same application, on the library's own transcoder."""

    name = SalesProcess.name  # the same tables

    def construct_transcoder(self) -> Transcoder:
        transcoder = JSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder


def test_the_application_reads_and_writes_with_the_fast_transcoder(flow: Salesflow) -> None:
    assert isinstance(flow.process.mapper.transcoder, FastJSONTranscoder)


def test_a_history_stays_readable_whichever_transcoder_wrote_it(store_url: str) -> None:
    fast_flow = make_flow(store_url)
    walk_to_bidding(fast_flow.process, "HB-1")
    do(fast_flow.process, "bid", "HB-1", "2026-07-09", price="980000.50", margin=0.15)
    fast = fast_flow.process
    plain = _LibraryTranscoded(fast.env, fast.config)
    open_deal(plain, "NX-2")
    do(plain, "activity", "NX-2", "2026-07-02", kind="visit")
    for key in ("HB-1", "NX-2"):
        assert fast.deal(key).entries == plain.deal(key).entries
    written_fast = plain.recorder.select_notifications(1, 100)
    assert [plain.mapper.to_domain_event(n) for n in written_fast] == [
        fast.mapper.to_domain_event(n) for n in written_fast
    ]
    plain.close()
    fast_flow.close()
