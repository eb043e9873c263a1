"""The wayfinding command as a user runs it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main
from floorplans import DEMO_PATH
from tests.conftest import SECOND_SERVICE, Archive, second_site_archive


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
        env={**os.environ, **env} if env else None,
    )


def test_validate_demo_exits_0() -> None:
    proc = run("floorplan", "validate", str(DEMO_PATH))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usable: 0 error(s), 0 warning(s)" in proc.stdout


def test_validate_broken_archive_exits_1_with_a_json_report(archive: Archive) -> None:
    (archive.root / "opening.geojson").write_text(
        '{"type": "FeatureCollection", "features": [', encoding="utf-8"
    )
    proc = run("floorplan", "validate", "--json", str(archive.root))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert report["usable"] is False
    problem = next(p for p in report["problems"] if p["code"] == "json-invalid")
    assert problem["file"] == "opening.geojson" and problem["severity"] == "error"
    assert problem["fix"]


def test_validate_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    proc = run("floorplan", "validate", str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {tmp_path / 'nope'}: no such file or folder"


def test_store_workflow_through_the_command_line(
    tmp_path: Path, archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'w.db'}", "--actor", "facilities.anne"]
    assert main([*db, "floorplan", "import", str(DEMO_PATH), "--publish"]) == 0
    units = archive.load("unit.geojson")
    for f in units["features"]:
        if (f["properties"]["name"] or {}).get("fr") == "Chapelle":
            f["properties"]["name"]["fr"] = "Lieu de culte"
    archive.save("unit.geojson", units)
    assert main([*db, "floorplan", "import", str(archive.root)]) == 0
    capsys.readouterr()
    assert main([*db, "floorplan", "diff", "2"]) == 0
    assert "- unit 'Chapelle' renamed to 'Lieu de culte'" in capsys.readouterr().out
    assert main([*db, "floorplan", "publish", "2"]) == 0
    assert main([*db, "floorplan", "rollback"]) == 0
    capsys.readouterr()
    assert main([*db, "floorplan", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert "published" in listing[0] and "archived" in listing[1]
    assert main([*db, "floorplan", "publish", "99"]) == 1
    assert "error: no floor plan version 99" in capsys.readouterr().err
    lift = next(
        f["id"] for f in archive.features("relationship") if f["properties"]["name"]["fr"] == "Ascenseur B"
    )
    assert main([*db, "floorplan", "close", lift, "--until", "2h", "--reason", "maintenance"]) == 0
    assert main([*db, "floorplan", "closures"]) == 0
    assert "'Ascenseur B'" in capsys.readouterr().out
    assert main([*db, "floorplan", "close", lift, "--until", "soon", "--reason", "x"]) == 1
    assert "cannot read 'soon'" in capsys.readouterr().err


def test_a_second_site_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hospital's second site: imported, refused until added as a site, then each command
    asks which site when it must, and acts on that one only."""
    db = ["--db", f"sqlite:///{tmp_path / 'w.db'}", "--actor", "facilities.anne"]
    assert main([*db, "floorplan", "import", str(DEMO_PATH), "--publish"]) == 0
    other = second_site_archive(tmp_path / "morvan.zip")
    assert main([*db, "floorplan", "import", str(other), "--publish"]) == 1
    err = capsys.readouterr().err
    assert "Hôpital Morvan, a venue that is not one of the hospital's sites" in err
    assert "wayfinding floorplan add-site 2" in err
    assert main([*db, "floorplan", "add-site", "2", "--slug", "morvan"]) == 0
    assert main([*db, "floorplan", "publish", "2"]) == 0
    capsys.readouterr()
    assert main([*db, "floorplan", "sites"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("chu-sainte-lumiere") and "version 1 in service" in out[0]
    assert out[1].startswith("morvan") and "version 2 in service" in out[1]
    assert main([*db, "floorplan", "rollback"]) == 1
    assert "the hospital has 2 sites: say which (chu-sainte-lumiere, morvan)" in capsys.readouterr().err
    assert main([*db, "route", "--from", "Entrée principale", "--to", SECOND_SERVICE["fr"]]) == 1
    err = capsys.readouterr().err
    assert "Centre de la douleur is not at this site but at Hôpital Morvan: --site morvan" in err
    assert main([*db, "--site", "brest", "floorplan", "list"]) == 1
    assert "no site 'brest'; the sites are: chu-sainte-lumiere" in capsys.readouterr().err
    assert main([*db, "--site", "morvan", "floorplan", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 1 and "Hôpital Morvan" in listing[0]


def test_the_demo_makes_its_accounts_only_in_a_database_it_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 27: ``wayfinding demo`` pointed at a hospital's database must not give its
    demo-admin account the README's password."""
    import argparse

    from cli.demo import DEMO_ACCOUNTS, _new_database, demo_accounts
    from core.accounts import AccountStore
    from database import connect

    hospital = f"sqlite:///{tmp_path / 'hospital.db'}"
    AccountStore(connect(hospital)).add("demo-admin", ["admin"], "the-hospital-s-own-1", actor="it")
    assert not _new_database(hospital)
    assert demo_accounts(argparse.Namespace(db=hospital)) is False
    assert "not made by 'wayfinding demo'" in capsys.readouterr().out
    accounts = AccountStore(hospital)
    assert accounts.authenticate("demo-admin", "demo-admin-password") is None
    assert accounts.authenticate("demo-admin", "the-hospital-s-own-1") is not None
    assert accounts.by_name("demo-care") is None

    fresh = f"sqlite:///{tmp_path / 'demo.db'}"
    assert _new_database(fresh) and not (tmp_path / "demo.db").exists(), "looking creates nothing"
    AccountStore(connect(fresh)).mark_demo_database()
    for _run in range(2):  # made, then reset on the next run
        assert demo_accounts(argparse.Namespace(db=fresh)) is True
    for name, _roles, password in DEMO_ACCOUNTS:
        assert AccountStore(fresh).authenticate(name, password) is not None


def test_render_and_generate(tmp_path: Path) -> None:
    proc = run(
        "floorplan",
        "generate",
        "--buildings",
        "2",
        "--levels",
        "2",
        "--rooms-per-level",
        "10",
        "--seed",
        "3",
        str(tmp_path / "syn"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 buildings, 4 levels, 40 rooms" in proc.stdout
    assert run("floorplan", "validate", str(tmp_path / "syn")).returncode == 0
    proc = run("floorplan", "render", "--level", "all", "--out", str(tmp_path / "plan.svg"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.glob("plan_*.svg")) == [
        "plan_-1.svg",
        "plan_0.svg",
        "plan_1.svg",
        "plan_2.svg",
    ]


def test_demo_command(tmp_path: Path) -> None:
    proc = run(
        "--db",
        f"sqlite:///{tmp_path / 'd.db'}",
        "demo",
        "--no-tracking",
        "--no-serve",
        "--out",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "CHU Sainte-Lumière: version 1 in service" in proc.stdout
    assert len(list((tmp_path / "out").glob("level_*.svg"))) == 4


def test_route_command_prints_steps_json_and_audio(tmp_path: Path) -> None:
    proc = run(
        "route",
        "--from",
        "Borne du hall d'accueil",
        "--to",
        "cardio",
        "--profile",
        "step_free",
        "--lang",
        "en",
        "--audio",
        str(tmp_path / "r.wav"),
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("Main hall kiosk -> Cardiology: ")
    assert " 3. Take Lift A1, on your left, to level 1." in lines
    assert (tmp_path / "r.wav").stat().st_size > 50_000
    # Up one floor from the car park: by the lift, the hospital's default (stairs only when they
    # save more than a minute); by the stairs for a hospital that wants the quickest way.
    proc = run("route", "--from", "Borne du parking", "--to", "Radiologie", "--json")
    data = json.loads(proc.stdout)
    assert data["destination"]["name"] == "Radiologie" and data["stairs"] == [] and data["lifts"]
    proc = run(
        "route",
        "--from",
        "Borne du parking",
        "--to",
        "Radiologie",
        "--json",
        env={"WAYFINDING_STAIRS_PENALTY_S": "0"},
    )
    assert json.loads(proc.stdout)["stairs"] == ["Escalier A"]


def test_route_command_errors_are_one_clear_line() -> None:
    proc = run("route", "--from", "Borne du hall d'accueil", "--to", "boulangerie")
    assert proc.returncode == 1 and proc.stderr.startswith("error: no place matches 'boulangerie'")
    proc = run("route", "--from", "Borne du hall d'accueil", "--to", "Salle de réveil")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "Salle de réveil : accès réservé au personnel, pas d'itinéraire public."


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--lang", "de"], "error: --lang: no catalogue for language 'de'; available: en, es, fr"),
        (["--lang", ""], "error: --lang: no catalogue for language ''; available: en, es, fr"),
        (["--lang", "../locales/fr"], "error: --lang: no catalogue for language '../locales/fr'"),
        (["--audio", ""], "error: --audio needs a file name, e.g. --audio route.wav"),
        (["--audio", "/tmp"], "error: --audio /tmp: is a folder; give a file name, e.g. /tmp/route.wav"),
        (
            ["--audio", "/no/such/folder/r.wav"],
            "error: --audio /no/such/folder/r.wav: the folder /no/such/folder",
        ),
        (["--from", "0:900,900"], "error: the point '0:900,900' is outside the building"),
        (
            ["--from", "toilettes"],
            "error: « toilettes » désigne 14 lieux ; précisez lequel : Toilettes — Niveau -1",
        ),
    ],
)
def test_route_inputs_a_visitor_may_type_end_in_one_clear_line(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In this process (the command itself starts in the tests above): an error that
    escaped as an exception would fail the test as a traceback would."""
    base = {"--from": "Cardiologie", "--to": "Radiologie"}
    for i in range(0, len(args), 2):
        base.pop(args[i], None)
    extra = [x for kv in base.items() for x in kv]
    assert main(["route", *extra, *args]) == 1
    stderr = capsys.readouterr().err
    assert stderr.startswith(said), stderr


def test_route_from_a_point_below_ground_is_not_taken_for_an_option() -> None:
    proc = run("route", "--from", "-1:3,5", "--to", "Radiologie", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Car park hall -> Radiology")


@pytest.mark.slow(seconds=30)
def test_demo_prints_pages_that_answer_and_a_companion_link_that_advances(tmp_path: Path) -> None:
    """The README's demo command: the web service starts, the printed pages open, the
    companion links advance by themselves, the board lists the cards, the demo login works."""
    import re
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = ["demo", "--patients", "2", "--dwell", "5", "--port", str(port), "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--db", f"sqlite:///{tmp_path / 'd.db'}", *demo],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while time.monotonic() < deadline and not any("following 2 simulated patients" in ln for ln in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        assert "MQTT broker: Mosquitto" in text, text
        urls = re.findall(r"(http://127\.0\.0\.1:\d+/\S*)", text)
        route_urls = [u for u in urls if "/route?" in u]
        assert len(route_urls) == 2 and any("from=" in u and "/?" in u for u in urls), text
        fr, en = (httpx.get(u, timeout=30) for u in route_urls)
        assert fr.status_code == 200 and "Vers Bloc opératoire" in fr.text and "step_free" in route_urls[0]
        assert en.status_code == 200 and "To Operating theatres" in en.text
        assert "audio.wav" in fr.text
        companions = [u for u in urls if "/c/" in u]
        assert len(companions) == 2, text
        pages = [httpx.get(u, timeout=30) for u in companions]
        assert [p.status_code for p in pages] == [200, 200]
        assert 'lang="fr"' in pages[0].text and 'lang="en"' in pages[1].text
        api = companions[0].replace("/c/", "/api/v1/companion/")
        stage = None
        while time.monotonic() < deadline + 60 and stage is None:
            stage = httpx.get(api, timeout=30).json()["stage"]
            time.sleep(1)
        assert stage == "admission", "the companion link does not advance by itself"
        board = next(u for u in urls if "/board/" in u)
        codes = re.findall(r"card ([A-Z0-9]{4})", text)
        assert len(codes) == 2 and all(code in httpx.get(board, timeout=30).text for code in codes)
        login = re.search(r"login (\S+) / (\S+);", text)
        assert login, text
        desk = next(u for u in urls if "/staff/care/" in u)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser:
            csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/staff/login").text).group(1)  # type: ignore[union-attr]
            r = browser.post(
                "/staff/login", data={"name": login.group(1), "password": login.group(2), "csrf": csrf}
            )
            assert r.status_code == 303
            assert all(code in browser.get(desk).text for code in codes)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Stopped: the demo's broker went with it.
    with socket.socket() as probe:
        broker_port = int(re.search(r"Mosquitto on mqtt://127\.0\.0\.1:(\d+)", text).group(1))  # type: ignore[union-attr]
        assert probe.connect_ex(("127.0.0.1", broker_port)) != 0, "the demo left its broker running"


def test_staff_accounts_and_wristbands_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'w.db'}", "--actor", "it.admin"]
    assert main([*db, "user", "add", "Anne.Martin", "--role", "care", "--role", "facilities"]) == 0
    out = capsys.readouterr().out
    password = out.split("in person): ")[1].strip()
    assert "anne.martin (care, facilities) added" in out and len(password) >= 10
    from core.accounts import AccountStore

    accounts = AccountStore(f"sqlite:///{tmp_path / 'w.db'}")
    assert accounts.authenticate("anne.martin", password) is not None
    assert main([*db, "user", "add", "anne.martin", "--role", "care"]) == 1
    assert "exists already" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*db, "user", "add", "bob", "--role", "nurse"])
    assert exc.value.code == 2 and "invalid choice: 'nurse'" in capsys.readouterr().err
    assert main([*db, "user", "key", "anne.martin"]) == 0
    key = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    assert accounts.by_api_key(key) is not None
    assert main([*db, "user", "disable", "anne.martin"]) == 0
    assert accounts.by_api_key(key) is None and accounts.authenticate("anne.martin", password) is None
    capsys.readouterr()
    # The care desk refuses wristbands not on the list; the command line too.
    assert main([*db, "link", "wb-0001", "--patient", "P-1"]) == 1
    assert "wayfinding wristband add" in capsys.readouterr().err
    (tmp_path / "bands.txt").write_text("# delivery of 2026-11\nwb-0001\nwb-0002\n\n", encoding="utf-8")
    assert main([*db, "wristband", "add", "--file", str(tmp_path / "bands.txt"), "wb-0003"]) == 0
    assert "3 wristband(s) added" in capsys.readouterr().out
    assert main([*db, "link", "wb-0001", "--patient", "P-1", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "card code" in out and "/c/" in out
    log = accounts.engine.connect().exec_driver_sql("SELECT actor, action FROM audit_log").fetchall()
    assert ("it.admin", "add-account") in log and ("it.admin", "register-wristbands") in log
    assert ("it.admin", "link-wristband") in log and ("it.admin", "disable-account") in log


_TYPED = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["Cardiologie", "toilettes", "sortie", "-1:3,5", "0:900,900", "9:0,0", "-", "--", "radio"]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    origin=_TYPED,
    to=_TYPED,
    lang=st.one_of(st.sampled_from(["fr", "en", "es", "de", "", "EN-gb", "x" * 200]), st.text(max_size=6)),
    profile=st.sampled_from(["default", "step_free", "avoid_stairs", "staff"]),
)
def test_nothing_typed_into_route_ends_in_a_traceback(
    origin: str,
    to: str,
    lang: str,
    profile: str,
    service: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever a visitor types: directions (0), no way (2) or one clear line (1); argparse's
    own usage message (2) for an option it cannot read. Never an exception."""
    import core.service

    monkeypatch.setattr(core.service, "WayfindingService", lambda **_kw: service)
    try:
        code = main(["route", "--from", origin, "--to", to, "--lang", lang, "--profile", profile])
    except SystemExit as exc:  # argparse: "--from: expected one argument" and the usage
        code = exc.code
    out = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out.err
    if code == 1:
        assert out.err.startswith("error: ") and out.err.count("\n") == 1, out.err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["tracker", "--partitions", "0"], "--partitions: give a number of partitions"),
        (["tracker", "--partitions", "12", "--lease", "0"], "--lease 0: give at least 1 second"),
        (["tracker", "--partitions", "12", "--worker-id", "a/b#"], "--worker-id 'a/b#': use 1 to 64"),
        (["ingest", "--partitions", "-3"], "--partitions: give a number of partitions"),
        (["ingest", "--broker", "http://x"], "broker 'http://x': write mqtt://HOST[:PORT]"),
        (["--db", "nonsense", "db", "upgrade"], "database URL: Could not parse"),
    ],
)
def test_worker_and_database_settings_are_refused_in_one_clear_line(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and said in err and len(err.strip().splitlines()) == 1, err
