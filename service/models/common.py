"""Shared field types: hex/decimal/integer inputs, hex outputs, list envelopes, problems."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

U64_MAX = (1 << 64) - 1
_HEX = frozenset("0123456789abcdefABCDEF")
INT_PATTERN = r"^\s*(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})\s*$"


def whole_number(value: Any) -> Any:
    """JSON Schema's ``integer``: any number without a fractional part, so 3.0 is 3 (the
    strict models would refuse it), and never a boolean."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not an integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_int(value: Any) -> Any:
    """Hex strings ("0x1f"), decimal strings ("31") and JSON integers (whole_number's: 4096.0
    too, never a boolean); range checked after."""
    value = whole_number(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        # Plain ASCII digits only: int() alone would also take "0x_1", "0x+1" or "٣".
        t = value.strip()
        if t.isascii():
            if t[:2].lower() == "0x" and t[2:] and all(c in _HEX for c in t[2:]):
                return int(t[2:], 16)
            if t.isdigit():
                return int(t, 10)
        raise ValueError("expected a hex string (0x...), a decimal string or an integer")
    raise ValueError("expected a hex string (0x...), a decimal string or an integer")


# An integer field of a request body (see Input). With constraints inside an Optional or a
# list, write Annotated[int, Field(ge=.., le=..), WHOLE]: pydantic turns Field constraints
# outside the Annotated into JSON Schema keys it does not translate (ge/le) there.
WHOLE = BeforeValidator(whole_number)
Int = Annotated[int, WHOLE]
VcpuIndex = Annotated[int, Field(ge=0, le=63), WHOLE]


def given(*names: str) -> Any:
    """JSON Schema branches "this field is given" (present and not null), one per name: the
    body of a oneOf/anyOf that says what a model validator checks."""
    return [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]


def _int_schema(maximum: int, description: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "integer", "minimum": 0, "maximum": maximum},
            {"type": "string", "pattern": INT_PATTERN},
        ],
        "description": description,
    }


U64 = Annotated[
    int,
    BeforeValidator(parse_int),
    Field(ge=0, le=U64_MAX),
    WithJsonSchema(_int_schema(U64_MAX, "64-bit value: hex string, decimal string or integer")),
]
Address = Annotated[
    int,
    BeforeValidator(parse_int),
    Field(ge=0, le=U64_MAX),
    WithJsonSchema(_int_schema(U64_MAX, "address: hex string, decimal string or integer")),
]
Hex = Annotated[str, Field(pattern=r"^0x[0-9a-f]+$", examples=["0x0000000000001000"])]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Input(Model):
    """A request body. Strict: JSON true/false are not the integers 1/0 (pydantic's lax mode
    would take them) and a number is not a string, so what passes is what the schema says;
    hex-or-decimal inputs go through their own BeforeValidator first."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Links(BaseModel):
    self: str


class ProblemPublic(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["/problems/unknown-register"])
    title: str
    status: int
    detail: str
    instance: str
    field: str | None = None
    address: str | None = None
    vcpu: int | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ProblemPublic, "content": {"application/problem+json": {}},
           "description": desc}
    for code, desc in (
        (400, "Malformed body (JSON or multipart)"),
        (401, "Missing or invalid bearer token"), (404, "Not found"),
        (409, "Conflict (session running, resource in use)"), (413, "Payload too large"),
        (422, "Invalid request"), (429, "Quota exceeded"),
        (503, "The server's database is unavailable (an I/O error, a read-only file)"),
        (507, "The server is out of storage; nothing was kept"),
    )
}  # fmt: skip
