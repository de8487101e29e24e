"""Schemathesis over the whole OpenAPI against a real server: no 5xx, and every response
conforms to the schema (status codes, content types, headers, bodies)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
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
                "/v1/images", files={"file": ("smp.elf", SMP.read_bytes())}).json()["id"]
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


@pytest.mark.slow
def test_api_conforms_and_never_5xx(live: Live) -> None:
    api = schemathesis.openapi.from_url(f"{live.server.url}/openapi.json")
    failures: list[str] = []
    counts = {"operations": 0, "cases": 0}
    for result in api.get_all_operations():
        op = result.ok()
        counts["operations"] += 1

        @given(case=op.as_strategy())
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
            # positive_data_acceptance is left out: schema-valid requests can still be refused
            # by the domain with a 422 (an image that does not parse, an unknown symbol or
            # register name, memory that is not mapped).
            case.call_and_validate(headers=H, excluded_checks=[positive_data_acceptance])

        try:
            run()
        except Exception as e:  # noqa: BLE001 - collected, reported together
            failures.append(f"{op.method.upper()} {op.path}: {str(e)[:800]}")
    print(f"\nschemathesis: {counts['operations']} operations, {counts['cases']} cases, "
          f"{len(failures)} failing")
    assert not failures, "\n\n".join(failures)
