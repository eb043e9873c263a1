"""schemathesis against /openapi.json: every operation, no 5xx, answers as documented.

The app is built at import (schemathesis parametrizes at collection time) on
a store of its own in a temporary folder.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.service import WayfindingService
from api.settings import Settings
from floorplans import DEMO_PATH
from tests.api.conftest import published_demo

_TMP = Path(tempfile.mkdtemp(prefix="wayfinding-fuzz-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_URL = published_demo(_TMP / "w.db")
APP = create_app(
    Settings(database_url=_URL, public_url="https://wayfinding.example.org"),
    WayfindingService(database_url=_URL, venue_path=DEMO_PATH),
    watch=False,
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CASES: Counter[str] = Counter()


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_fails_or_breaks_its_schema(case: schemathesis.Case) -> None:
    CASES[f"{case.method.upper()} {case.path}"] += 1
    response = case.call()
    excluded = []
    if response.status_code == 422 and "reason" in (response.json() or {}):
        # A well-formed request between two places with no way for the profile: 422 with the
        # reason is the documented answer, not a valid request refused.
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


def test_every_operation_was_tried() -> None:
    """Runs after the cases above (same module, file order): each operation had many cases."""
    operations = {f"{m.upper()} {p}" for p, item in APP.openapi()["paths"].items() for m in item}
    tried = {op: CASES[op] for op in sorted(operations)}
    print(f"\nschemathesis: {sum(CASES.values())} cases in all; documented operations: {tried}")
    assert all(tried.values()), f"operations never tried: {[op for op, n in tried.items() if not n]}"
    assert sum(tried.values()) >= 500
