"""Images: upload ELF or raw (multipart or base64 JSON) or assemble source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from ...models.common import PROBLEM_RESPONSES
from ...models.images import ImageCreate, ImagePublic, ImagesPublic
from ...problems import Problem
from .. import views
from ..deps import ManagerDep, OwnerDep

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
                    },
                }
            },
        },
    }
}


@router.post("", name="create", status_code=201, openapi_extra=UPLOAD_BODY,
             responses={415: PROBLEM_RESPONSES[422] | {"description": "Unsupported media type"}})
async def create(request: Request, owner: OwnerDep, manager: ManagerDep) -> ImagePublic:
    """Upload an image (multipart or base64 JSON) or assemble source."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = manager.settings.max_upload_bytes
    if ctype == "multipart/form-data":
        async with request.form(max_files=1, max_fields=8, max_part_size=64 << 10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Problem(422, "validation-error", "the form needs a file part",
                              field="file")  # fmt: skip
            data = await upload.read(limit + 1)
            name = form.get("name") or upload.filename or "image"
            fmt = form.get("format") or "auto"
        if not isinstance(name, str) or len(name) > 200:
            raise Problem(422, "validation-error", "name is a string of up to 200 characters",
                          field="name")  # fmt: skip
        if fmt not in ("auto", "elf", "raw"):
            raise Problem(422, "validation-error", "format is auto, elf or raw", field="format")
        rec = await manager.add_image(owner, name, str(fmt), data)
    elif ctype in ("application/json", ""):
        try:
            body = ImageCreate.model_validate_json(await request.body())
        except ValidationError as e:
            raise RequestValidationError(e.errors(include_url=False, include_context=False),
                                         body=None) from None  # fmt: skip
        if body.source is not None:
            data = await manager.assemble(body.source, body.endian)
            rec = await manager.add_image(owner, body.name, "elf", data)
        else:
            assert body.data_base64 is not None
            data = manager.decode_base64(body.data_base64)
            rec = await manager.add_image(owner, body.name, body.format, data)
    else:
        raise Problem(415, "unsupported-media-type",
                      "send application/json or multipart/form-data")
    return views.image(rec)


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
