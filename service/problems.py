"""RFC 9457 problem details: one exception type, stable type URIs under ``/problems/``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"

# slug -> (title, what it means); GET /problems/{slug} serves these.
TYPES: dict[str, tuple[str, str]] = {
    "validation-error": ("Invalid request", "The request does not match the schema."),
    "bad-json": ("Malformed JSON", "The request body is not valid JSON."),
    "unauthorized": ("Authentication required", "Send a valid bearer token."),
    "not-found": ("Not found", "No such resource (or it belongs to another owner)."),
    "method-not-allowed": ("Method not allowed", "The resource does not support this method."),
    "not-acceptable": ("Not acceptable", "The server cannot produce the requested media type."),
    "unsupported-media-type": ("Unsupported media type", "Send JSON or multipart/form-data."),
    "payload-too-large": ("Payload too large", "The body or upload exceeds the size limit."),
    "limit-exceeded": ("Limit exceeded", "A configured limit would be exceeded."),
    "quota-exceeded": ("Quota exceeded", "The owner holds as many resources as allowed."),
    "invalid-image": ("Invalid image", "The image cannot be loaded."),
    "assembly-failed": ("Assembly failed", "The assembler or linker rejected the source."),
    "assembler-unavailable": ("No assembler", "The server has no PowerPC64 binutils."),
    "invalid-session-config": ("Invalid session configuration", "The session options conflict."),
    "unknown-register": ("Unknown register", "No register by that name."),
    "invalid-value": ("Invalid value", "A value is out of range for its field."),
    "unmapped-memory": ("Unmapped memory", "The range is outside RAM or not mapped."),
    "invalid-breakpoint": ("Invalid breakpoint", "The breakpoint cannot be set as asked."),
    "unknown-symbol": ("Unknown symbol", "The image has no such symbol."),
    "invalid-request": ("Invalid request", "The session cannot carry out the request."),
    "session-running": ("Session running", "Halt the session first (or wait for its stop)."),
    "session-lost": (
        "Session lost",
        "The session's engine worker is gone: restore it from a snapshot.",
    ),
    "workers-unavailable": (
        "No worker",
        "No engine worker could be started for the session now (a cluster without room).",
    ),
    "conflict": ("Conflict", "The resource is in use."),
    "not-supported": ("Not supported", "The session does not offer this capability."),
    "session-failed": ("Session failed", "An internal error ended this session."),
    "storage-unavailable": ("Storage unavailable", "The server's database cannot be used now."),
    "insufficient-storage": ("Insufficient storage", "The server has no room to store it."),
    "replica-unavailable": (
        "Replica unavailable",
        "The replica that holds the session does not answer; try later.",
    ),
    "internal-error": ("Internal error", "An internal error; it has been logged."),
    "upgrade-required": ("Upgrade required", "A WebSocket endpoint: connect with a WebSocket."),
    "http-error": ("HTTP error", "An HTTP-level error."),
}


class Problem(Exception):
    """A client-visible error; the exception handler renders it as problem+json."""

    def __init__(self, status: int, slug: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug if slug in TYPES else "http-error"
        self.detail = detail
        self.extensions = {k: v for k, v in extensions.items() if v is not None}

    def response(self, instance: str) -> JSONResponse:
        """The problem+json response, with the headers its status calls for."""
        headers = None
        if self.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        elif self.status == 426:
            headers = {"Upgrade": "websocket"}  # RFC 9110: a 426 names the protocol to use
        return JSONResponse(self.body(instance), status_code=self.status,
                            media_type=PROBLEM_JSON, headers=headers)  # fmt: skip

    def body(self, instance: str) -> dict[str, Any]:
        return {
            "type": f"/problems/{self.slug}",
            "title": TYPES[self.slug][0],
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extensions,
        }


def not_found(what: str, ident: str) -> Problem:
    return Problem(404, "not-found", f"no {what} {ident!r}")
