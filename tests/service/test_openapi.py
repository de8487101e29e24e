"""openapi/openapi.json is generated from the app (make openapi) and committed."""

from __future__ import annotations

import json
from pathlib import Path

from service.openapi_dump import OUT, render


def test_committed_openapi_matches_the_app():
    assert OUT.exists(), "run make openapi"
    assert json.loads(OUT.read_text()) == json.loads(render()), "run make openapi"


def test_operation_ids_are_tag_name_and_summaries_one_line():
    spec = json.loads(render())
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["operationId"].startswith(op["tags"][0] + "-"), (method, path)
            assert op["summary"] and "\n" not in op["summary"], (method, path)


def test_request_models_have_examples():
    schemas = json.loads(render())["components"]["schemas"]
    for name, schema in schemas.items():
        if name.endswith(("Create", "Update", "Request", "Write")):
            assert schema.get("examples"), name


def test_errors_are_problem_json():
    spec = json.loads(render())
    op = spec["paths"]["/v1/sessions"]["post"]
    assert list(op["responses"]["422"]["content"]) == ["application/problem+json"]
    assert Path(OUT).read_text().endswith("\n")


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_ref_resolves_to_a_component():
    spec = json.loads(render())
    names = set(spec["components"]["schemas"])
    dangling = [r for r in _refs(spec) if r.removeprefix("#/components/schemas/") not in names]
    assert not dangling, dangling
