"""Schemathesis over the whole OpenAPI against a real server, every check: no 5xx, every
response conforms to the schema (status codes, content types, headers, bodies, Allow), a
request the schema forbids is refused (negative data), and one it allows is not refused for
its shape: a schema-valid request may still meet the domain (an unknown symbol or register,
unmapped memory, a vCPU the session lacks: a 422 of that problem type), but never a
``validation-error``, which would mean the schema is looser than the validation."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from service.launch import ServerProcess
from tests.service.conftest import SMP, TOKENS

H = {"Authorization": "Bearer tok-alice"}
LIMITS = {
    "PPCDBG_MAX_INSTRUCTIONS_PER_CONTINUE": "200000", "PPCDBG_MAX_STEP_COUNT": "2000",
    "PPCDBG_MAX_MEMORY_MB": "64", "PPCDBG_MAX_VCPUS": "4", "PPCDBG_MAX_IMAGES_PER_OWNER": "50",
    "PPCDBG_MAX_SESSIONS_PER_OWNER": "8", "PPCDBG_MAX_DISASSEMBLY": "256",
    "PPCDBG_MAX_MEMORY_READ": "65536", "PPCDBG_ASSEMBLE_TIMEOUT": "5",
}  # fmt: skip


class Live:
    """The real server and a session/image/breakpoint the generated cases can aim at."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, headers=H, timeout=60)
        self.image_id = ""
        self.session_id = ""

    def ids(self) -> dict[str, str]:
        if not self.image_id or self.http.get(f"/v1/images/{self.image_id}").status_code != 200:
            self.image_id = self.http.post(
                "/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}
            ).json()["id"]
        r = self.http.get(f"/v1/sessions/{self.session_id}") if self.session_id else None
        if r is None or r.status_code != 200:
            for s in self.http.get("/v1/sessions").json()["data"]:
                self.http.delete(f"/v1/sessions/{s['id']}")
            self.session_id = self.http.post(
                "/v1/sessions", json={"image_id": self.image_id, "vcpus": 2,
                                      "memory_mb": 64}).json()["id"]  # fmt: skip
            self.http.post(f"/v1/sessions/{self.session_id}/breakpoints",
                           json={"symbol": "loop"})  # fmt: skip
        else:
            self.http.post(f"/v1/sessions/{self.session_id}/halt")
        return {"session_id": self.session_id, "image_id": self.image_id, "bp_id": "bp1",
                "n": "0"}  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    d = tmp_path_factory.mktemp("schemathesis")
    with ServerProcess(str(d / "db.sqlite3"), TOKENS, env=LIMITS,
                       log=str(d / "server.log")) as server:  # fmt: skip
        yield Live(server)


def schema_is_the_validation(ctx: object, response: schemathesis.Response,
                             case: schemathesis.Case) -> None:  # fmt: skip
    """positive_data_acceptance, precisely: a schema-valid request is never refused for its
    shape (a validation-error problem)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return
    body = response.json()
    if body.get("type") == "/problems/validation-error":
        raise AssertionError(f"schema-valid request refused as invalid: {body.get('detail')}")


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_and_never_5xx(live: Live, mode: GenerationMode) -> None:
    api = schemathesis.openapi.from_url(f"{live.server.url}/openapi.json")
    failures: list[str] = []
    counts = {"operations": 0, "cases": 0}
    for result in api.get_all_operations():
        op = result.ok()
        counts["operations"] += 1

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit,
                  Phase.generate])  # fmt: skip
        def run(case: schemathesis.Case) -> None:
            counts["cases"] += 1
            # Half the cases aim at live resources (the rest at random ids: 404s).
            if case.path_parameters and counts["cases"] % 2 == 0:
                real = live.ids()
                for k in list(case.path_parameters):
                    if k in real:
                        case.path_parameters[k] = real[k]
            # positive_data_acceptance's 2xx is too strong (see the module's docstring):
            # schema_is_the_validation holds what it means here.
            # The token is ours, except when a negative case made its header bad on purpose.
            header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
            spoilt = header is not None and not header.mode.is_positive
            headers = {} if spoilt else H
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance],
                                   additional_checks=[schema_is_the_validation])  # fmt: skip

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except Unsatisfiable:
            # Nothing to spoil: an operation without parameters or a body has no negative case.
            assert mode == GenerationMode.NEGATIVE, op.path
        except BaseException as e:  # noqa: BLE001 - collected, reported together (schemathesis
            # raises its FailureGroup, a BaseExceptionGroup)
            failures.append(f"{op.method.upper()} {op.path}: {str(e)[:800]}")
    print(
        f"\nschemathesis: {counts['operations']} operations, {counts['cases']} cases, "
        f"{len(failures)} failing"
    )
    assert not failures, "\n\n".join(failures)
