"""Images: upload ELF or raw (multipart or base64 JSON) or assemble source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ...events import hex64
from ...models.common import PROBLEM_RESPONSES
from ...models.images import ImageCreate, ImagePublic, ImagesPublic, SourceLine, SourcePublic
from ...problems import Problem
from .. import views
from ..deps import ManagerDep, OwnerDep

MAX_SOURCES = 16
MAX_SOURCE_BYTES = 1 << 20
router = APIRouter(prefix="/v1/images", tags=["images"], responses=PROBLEM_RESPONSES)

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            # Inline: the model is validated by hand below (one route, two media types), so FastAPI
            # never registers it as a component and a $ref would dangle.
            "application/json": {"schema": ImageCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "name": {"type": "string", "maxLength": 200},
                        "format": {"type": "string", "enum": ["auto", "elf", "raw"]},
                        "source": {
                            "type": "array",
                            "maxItems": MAX_SOURCES,
                            "items": {"type": "string", "format": "binary"},
                            "description": "the program's source files (UTF-8, else read as "
                            "Latin-1; each at most 1 MiB), for the source view",
                        },
                    },
                }
            },
        },
    }
}


@router.post(
    "",
    name="create",
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={415: PROBLEM_RESPONSES[422] | {"description": "Unsupported media type"}},
)
async def create(request: Request, owner: OwnerDep, manager: ManagerDep) -> ImagePublic:
    """Upload an image (multipart or base64 JSON) or assemble source."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = manager.settings.max_upload_bytes
    if ctype == "multipart/form-data":
        async with request.form(max_files=1 + MAX_SOURCES, max_fields=8,
                                max_part_size=64 << 10) as form:  # fmt: skip
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Problem(422, "validation-error", "the form needs a file part",
                              field="file")  # fmt: skip
            data = await upload.read(limit + 1)
            name = form.get("name") or upload.filename or "image"
            fmt = form.get("format") or "auto"
            sources = await _sources(form.getlist("source"))
        if not isinstance(name, str) or len(name) > 200:
            raise Problem(422, "validation-error", "name is a string of up to 200 characters",
                          field="name")  # fmt: skip
        if fmt not in ("auto", "elf", "raw"):
            raise Problem(422, "validation-error", "format is auto, elf or raw", field="format")
        rec = await manager.add_image(owner, name, str(fmt), data, sources)
    elif ctype in ("application/json", ""):
        try:
            body = ImageCreate.model_validate_json(await request.body())
        except ValidationError as e:
            raise RequestValidationError(e.errors(include_url=False, include_context=False),
                                         body=None) from None  # fmt: skip
        if body.source is not None:
            data = await manager.assemble(body.source, body.endian)
            rec = await manager.add_image(owner, body.name, "elf", data, {"prog.S": body.source})
        else:
            assert body.data_base64 is not None
            data = manager.decode_base64(body.data_base64)
            rec = await manager.add_image(owner, body.name, body.format, data)
    else:
        raise Problem(415, "unsupported-media-type", "send application/json or multipart/form-data")
    return views.image(rec)


async def _sources(parts: list[Any]) -> dict[str, str]:
    """The source files sent with an image: name -> text."""
    out: dict[str, str] = {}
    for part in parts:
        if not isinstance(part, UploadFile) or not part.filename:
            raise Problem(422, "validation-error", "source parts are files with names",
                          field="source")  # fmt: skip
        raw = await part.read(MAX_SOURCE_BYTES + 1)
        if len(raw) > MAX_SOURCE_BYTES:
            raise Problem(413, "payload-too-large",
                          f"a source file is at most {MAX_SOURCE_BYTES} bytes")  # fmt: skip
        out[Path(part.filename).name] = _text(raw)
    return out


def _text(raw: bytes) -> str:
    """A source file's text: UTF-8, or else Latin-1.

    Older sources are often Latin-1, and the view should show them as an editor
    would rather than refuse the upload; Latin-1 maps every byte, so any file
    shows, with no byte lost.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@router.get("/{image_id}/source", name="source")
async def source(image_id: str, owner: OwnerDep, manager: ManagerDep) -> SourcePublic:
    """The image's source files and its line table (address -> file:line), for a source view."""
    rec = manager.image(owner, image_id)
    if not rec.sources and not rec.image.lines:
        raise Problem(404, "not-found", f"image {image_id} has no source: assemble it from "
                      "source, or upload its source files with it (built with -g)")  # fmt: skip
    lines = [SourceLine(address=hex64(a), file=f, line=n) for a, f, n in rec.image.lines]
    return SourcePublic(files=rec.sources, lines=lines)


@router.get("", name="list")
async def list_images(owner: OwnerDep, manager: ManagerDep) -> ImagesPublic:
    """List your images."""
    data = [views.image(r) for r in manager.owner_images(owner)]
    return ImagesPublic(data=data, count=len(data))


@router.get("/{image_id}", name="get")
async def get_image(image_id: str, owner: OwnerDep, manager: ManagerDep) -> ImagePublic:
    """Get an image."""
    return views.image(manager.image(owner, image_id))


@router.delete("/{image_id}", name="delete", status_code=204, response_class=Response)
async def delete_image(image_id: str, owner: OwnerDep, manager: ManagerDep) -> Response:
    """Delete an image no session uses."""
    await manager.delete_image(owner, image_id)
    return Response(status_code=204)
