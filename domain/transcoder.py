"""A faster reader of the stored events, in the library's own format.

Stored states are JSON with the library's tagged dicts
(``{"_type_": "datetime_iso", "_data_": "..."}``). The library's
``JSONTranscoder`` decodes them with the standard ``json`` module and an
``object_hook`` called for every dict; here ``orjson`` parses the document and
one pass replaces the tagged dicts, bottom-up, exactly as the hook would.

Writing stays with the library's encoder, byte for byte: ``orjson`` would write
some values natively instead of refusing or tagging them (UUIDs, enums, dates,
NaN as null), and writes are not where the time goes. Documents that ``orjson``
would read differently or not at all (integers past 64 bits, which it reads as
floats; NaN and infinities; lone surrogates) are read by the library's decoder,
so both transcoders read every stored history the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding

#: orjson reads an integer past 64 bits as a float at least this large; such a
#: float (or a genuine one as large) sends the document to the library's decoder.
_INT_LIMIT = float(2**63)


class _Differs(Exception):
    """orjson's reading may differ from the library's: use the library's."""


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON format, read with ``orjson``."""

    def __init__(self) -> None:
        super().__init__()
        self._decoders: dict[str, Callable[[Any], Any]] = {}

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._decoders[transcoding.name] = transcoding.decode

    def decode(self, data: bytes) -> Any:
        try:
            return self._untag(orjson.loads(data))
        except (orjson.JSONDecodeError, _Differs):
            # NaN, a lone surrogate, invalid UTF-8, a huge integer: the library decides.
            return super().decode(data)

    def _untag(self, value: Any) -> Any:
        """What ``object_hook`` makes of a parsed value: tagged dicts decoded,
        innermost first."""
        t = type(value)
        if t is dict:
            decoders = self._decoders
            for k, v in value.items():
                t = type(v)
                if t is dict:
                    if (  # the usual case: a known type tagged on a string
                        len(v) == 2
                        and type(data := v.get("_data_")) is str
                        and "_type_" in v
                        and (decode := decoders.get(v["_type_"])) is not None
                    ):
                        value[k] = decode(data)
                    else:
                        value[k] = self._untag(v)
                elif t is list or t is float:
                    value[k] = self._untag(v)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_tagged(value["_type_"], value["_data_"])
        elif t is list:
            for i, v in enumerate(value):
                if type(v) is dict or type(v) is list or type(v) is float:
                    value[i] = self._untag(v)
        elif t is float and not -_INT_LIMIT < value < _INT_LIMIT:
            raise _Differs
        return value

    def _decode_tagged(self, name: Any, data: Any) -> Any:
        try:
            decode = self._decoders[name]
        except KeyError:
            # The library's error, with its message.
            return self._decode_obj({"_type_": name, "_data_": data})
        return decode(data)
