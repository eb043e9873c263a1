"""Shared fixtures: the demo hospital, and archives broken on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.service import WayfindingService
from database import connect
from floorplans import DEMO_PATH, FloorPlanStore, Venue, load_demo_venue
from tests.postgres import LocalPostgres

#: The databases the store, tracker and web tests run on: each such test runs once on each.
DATABASES = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a test of minutes (``@pytest.mark.slow(seconds=...)``: real processes in
    real time) run first, the longest first, each module's tests in their order: run in
    parallel (``make test`` uses pytest-xdist, a module to a worker), they then never end the
    run alone."""
    longest: dict[Path, float] = {}
    for item in items:
        mark = item.get_closest_marker("slow")
        if mark is not None:
            seconds = float(mark.kwargs.get("seconds", 30))
            longest[item.path] = max(longest.get(item.path, 0.0), seconds)
    items.sort(key=lambda item: -longest.get(item.path, 0.0))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A throw-away PostgreSQL server for the session (Debian's package; ``make test``
    installs it), started on first use."""
    server = LocalPostgres().start()
    yield server
    server.stop()


def new_database(request: pytest.FixtureRequest, kind: str, folder: Path, *, schema: bool = True) -> str:
    """A new database of *kind* (``sqlite``: a file in *folder*) with this release's schema
    and no rows, as a process finds it after its start (:func:`database.connect`); with
    ``schema=False``, nothing at all (a SQLite file not even made)."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'w.db'}"
    else:
        server: LocalPostgres = request.getfixturevalue("postgres")
        url = server.new_database()
    if schema:
        connect(url).dispose()
    return url


def database_bytes(url: str) -> bytes:
    """Everything a database holds, as bytes: the file (SQLite), or every table dumped."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).read_bytes()
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    out = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            out += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    engine.dispose()
    return "\n".join(out).encode()


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (schema, no rows): the test runs once on SQLite, once on PostgreSQL."""
    return new_database(request, request.param, tmp_path)


@pytest.fixture(params=DATABASES)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema yet, as a hospital's IT hands it over: SQLite, then PostgreSQL."""
    return new_database(request, request.param, tmp_path, schema=False)


def published_demo(db: Path | str) -> str:
    """The demo hospital published in a database (a SQLite file path, or any URL)."""
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    store = FloorPlanStore(connect(url))
    info = store.import_archive(DEMO_PATH, actor="test", note="demo")
    store.publish(info.id, actor="test")
    store.engine.dispose()
    return url


#: The second site of the tests: a synthetic hospital with a service the demo does not have.
SECOND_SITE = {"fr": "Hôpital Morvan", "en": "Morvan Hospital"}
SECOND_SERVICE = {"fr": "Centre de la douleur", "en": "Pain clinic"}
SECOND_ADDRESS = "2 avenue Foch, 29200 Brest"
SECOND_ACCESS = {"fr": "Bus 3, arrêt Morvan ; parking P2.", "en": "Bus 3, Morvan stop; car park P2."}


def second_site_archive(path: Path, *, rename: str | None = None) -> Path:
    """Another site's plan as an IMDF .zip: its name, address and access in the plan, and a
    service only it has (called *rename* in French when given: a later version of it)."""
    from floorplans.imdf import write_imdf
    from simulators.generate import generate_hospital

    venue = generate_hospital(buildings=1, levels=2, rooms_per_level=8, seed=3)
    venue.name = dict(SECOND_SITE)
    occupant = next(iter(venue.occupants.values()))
    occupant.name = {**SECOND_SERVICE, **({"fr": rename} if rename else {})}
    venue.venue_extra["address_id"] = "address-morvan"
    venue.venue_extra["access"] = dict(SECOND_ACCESS)
    props = {"address": "2 avenue Foch", "unit": None, "locality": "Brest", "province": None}
    feature = {
        "type": "Feature",
        "id": "address-morvan",
        "feature_type": "address",
        "geometry": None,
        "properties": {**props, "country": "FR", "postal_code": "29200"},
    }
    venue.passthrough["address.geojson"] = {"type": "FeatureCollection", "features": [feature]}
    write_imdf(venue, path)
    return path


@pytest.fixture(scope="session")
def demo_venue() -> Venue:
    """The demo hospital. Shared: do not modify it in a test (copy the archive instead)."""
    return load_demo_venue()


class Archive:
    """A copy of the demo archive in a temporary folder, to edit feature by feature."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def load(self, name: str) -> Any:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def save(self, name: str, data: Any) -> None:
        (self.root / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def features(self, ftype: str) -> list[dict[str, Any]]:
        return self.load(f"{ftype}.geojson")["features"]  # type: ignore[no-any-return]

    def edit(self, ftype: str, fn: Callable[[list[dict[str, Any]]], None]) -> None:
        data = self.load(f"{ftype}.geojson")
        fn(data["features"])
        self.save(f"{ftype}.geojson", data)

    def find(self, ftype: str, name: str, lang: str = "fr") -> dict[str, Any]:
        for f in self.features(ftype):
            if (f["properties"].get("name") or {}).get(lang) == name:
                return f
        raise KeyError(f"no {ftype} named {name!r}")


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    root = tmp_path / "venue"
    shutil.copytree(DEMO_PATH, root)
    return Archive(root)


@pytest.fixture(scope="module", params=DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo published: each module using it runs on SQLite, then on PostgreSQL (the web
    tests, and the command line's route fuzzing)."""
    return published_demo(new_database(request, request.param, tmp_path_factory.mktemp("store")))


@pytest.fixture(scope="module")
def service(store_url: str) -> Iterator[WayfindingService]:
    svc = WayfindingService(database_url=store_url, venue_path=DEMO_PATH)
    yield svc
    svc.close()
