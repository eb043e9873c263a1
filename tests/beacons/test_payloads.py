"""The three reading formats, BLE frames, and refusals that name what is wrong."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beacons.payloads import (
    EddystoneTLM,
    EddystoneUID,
    PayloadError,
    decode_eddystone,
    decode_ibeacon,
    parse_heartbeat,
    parse_message,
)
from database import connect

IBEACON = "4c000215e2c56db5dffb48d2b060d0f5a71096e00001002ac5"


def test_native_single_and_batch() -> None:
    topic = "wayfinding/demo/receivers/rx-A0-hall/readings"
    one = parse_message(topic, b'{"tag": "wb-17", "rssi": -67, "ts": 1763800000.25}')
    assert one[0].tag == "wb-17" and one[0].receiver == "rx-A0-hall" and one[0].rssi == -67
    assert one[0].tx_power is None and one[0].ts == 1763800000.25
    batch = parse_message(
        topic,
        json.dumps(
            [{"tag": "a", "rssi": -70, "tx_power": -59, "battery_mv": 2950}, {"tag": "b", "rssi": -80}]
        ),
    )
    assert [r.tag for r in batch] == ["a", "b"] and batch[0].battery_mv == 2950


def test_espresense() -> None:
    r = parse_message(
        "espresense/devices/wb-3/rx-C1-prep-1",
        b'{"id": "wb-3", "rssi": -71, "rssi@1m": -59, "distance": 2.3}',
    )[0]
    assert (r.tag, r.receiver, r.rssi, r.tx_power) == ("wb-3", "rx-C1-prep-1", -71, -59)


def test_theengs_ibeacon_gives_a_stable_tag() -> None:
    r = parse_message(
        "home/rx-B2-or-1/BTtoMQTT/AABBCC000001",
        json.dumps({"id": "AA:BB:CC:00:00:01", "rssi": -60, "manufacturerdata": IBEACON}),
    )[0]
    assert r.tag == "e2c56db5-dffb-48d2-b060-d0f5a71096e0-1-42"
    assert r.receiver == "rx-B2-or-1" and r.tx_power == -59


def test_ibeacon_and_eddystone_frames() -> None:
    ib = decode_ibeacon(IBEACON)
    assert ib is not None and (ib.major, ib.minor, ib.measured_power) == (1, 42, -59)
    assert decode_ibeacon("0600010920") is None  # Microsoft, not an iBeacon
    uid = decode_eddystone("aafe00e8" + "00112233445566778899" + "aabbccddeeff")
    assert isinstance(uid, EddystoneUID) and uid.namespace == "00112233445566778899"
    assert uid.instance == "aabbccddeeff" and uid.tx_power == -24
    tlm = decode_eddystone("2000" + "0b86" + "1780" + "00000064" + "00000e10")
    assert isinstance(tlm, EddystoneTLM) and tlm.battery_mv == 2950
    assert tlm.temperature_c == pytest.approx(23.5) and tlm.uptime_s == 360.0


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("wayfinding/demo/receivers/rx1/readings", b"{not json", "json"),
        ("wayfinding/demo/receivers/rx1/readings", b'{"tag": "a", "rssi": "-60"}', "type"),
        ("wayfinding/demo/receivers/rx1/readings", b'{"tag": "a"}', "field"),
        ("wayfinding/demo/receivers/rx1/readings", b'{"tag": "a", "rssi": 999}', "rssi"),
        ("wayfinding/demo/receivers/rx1/readings", b'{"tag": "Jean Dupont", "rssi": -60}', "tag"),
        ("wayfinding/demo/receivers/rx1/readings", b"[1, 2]", "type"),
        ("some/other/topic", b"{}", "topic"),
        ("home/gw/BTtoMQTT/AA", b'{"id": "x", "rssi": -50, "manufacturerdata": "zz"}', "hex"),
    ],
)
def test_refusals_name_the_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_message(topic, payload)
    assert info.value.reason == reason
    assert topic in str(info.value)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.text(max_size=20) | st.integers(),
            lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
            max_leaves=10,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    topic=st.sampled_from(
        ["wayfinding/demo/receivers/rx/readings", "espresense/devices/a/b", "home/gw/BTtoMQTT/mac"]
    ),
)
def test_any_payload_is_a_reading_or_a_payload_error(topic: str, payload: bytes) -> None:
    try:
        readings = parse_message(topic, payload)
    except PayloadError:
        return
    for r in readings:
        assert -120 <= r.rssi <= 10 and r.tag and r.receiver


# ----------------------------------------------------------------------------- one id per band

UUID = "e2c56db5-dffb-48d2-b060-d0f5a71096e0"
CANONICAL = f"{UUID}-1-42"


def test_one_wristband_one_id_whichever_gateway_heard_it() -> None:
    """The same iBeacon wristband (uuid e2c56db5..., major 1, minor 42) heard by an
    ESPresense node, by OpenMQTTGateway decoding it, by OpenMQTTGateway passing the raw
    frame, and typed by hand in capitals: one id, the one it was linked with."""
    esp = parse_message(
        f"espresense/devices/iBeacon:{UUID}-1-42/theatre-2",
        json.dumps(
            {
                "id": f"iBeacon:{UUID}-1-42",
                "idType": 1,
                "rssi@1m": -59,
                "rssi": -71,
                "raw": 2.48,
                "distance": 2.31,
                "mac": "c7a8b1d2e3f4",
                "interval": 1000,
            }
        ),
    )[0]
    omg_decoded = parse_message(
        "home/OpenMQTTGateway_ESP32/BTtoMQTT/C7A8B1D2E3F4",
        json.dumps(
            {
                "id": "C7:A8:B1:D2:E3:F4",
                "mac_type": 1,
                "rssi": -78,
                "distance": 7.85,
                "brand": "GENERIC",
                "model": "iBeacon",
                "model_id": "IBEACON",
                "mfid": "4c00",
                "uuid": UUID.replace("-", ""),
                "major": 1,
                "minor": 42,
                "txpower": -66,
            }
        ),
    )[0]
    omg_raw = parse_message(
        "home/gw-1/BTtoMQTT/C7A8B1D2E3F4",
        json.dumps(
            {
                "id": "C7:A8:B1:D2:E3:F4",
                "rssi": -70,
                "manufacturerdata": f"4c000215{UUID.replace('-', '')}0001002ac5",
            }
        ),
    )[0]
    assert esp.tag == omg_decoded.tag == omg_raw.tag == CANONICAL
    assert esp.receiver == "theatre-2" and omg_decoded.receiver == "OpenMQTTGateway_ESP32"
    assert esp.tx_power == -59 and omg_decoded.tx_power == -66 and omg_raw.tx_power == -59
    from beacons.payloads import canonical_tag

    assert canonical_tag(f"{UUID.upper()}-0001-042") == CANONICAL
    assert canonical_tag(f"iBeacon:{UUID.replace('-', '')}-1-42") == CANONICAL
    # Eddystone UID: ESPresense's "eddy:" and the decoded frame agree.
    assert canonical_tag("eddy:00112233445566778899-AABBCCDDEEFF") == "00112233445566778899-aabbccddeeff"
    frame = decode_eddystone("aafe00eb00112233445566778899aabbccddeeff")
    assert isinstance(frame, EddystoneUID) and frame.tag == "00112233445566778899-aabbccddeeff"
    # A MAC address, with or without colons, any case; a serial number as given.
    assert canonical_tag("c7a8b1d2e3f4") == canonical_tag("C7:a8:B1:d2:E3:f4") == "C7:A8:B1:D2:E3:F4"
    assert canonical_tag("wb-0042") == "wb-0042"


def test_short_form_txpower_is_not_a_reference_power() -> None:
    """OpenMQTTGateway's older short form: "txpower" is the advertised transmit level
    (12 dBm here), not the RSSI at 1 m: ignored, the reading kept."""
    r = parse_message(
        "home/gw-2/BTtoMQTT/AABBCCDDEEFF",
        b'{"id": "AA:BB:CC:DD:EE:FF", "rssi": -55, "txpower": 12, "distance": 0.49}',
    )[0]
    assert r.tag == "AA:BB:CC:DD:EE:FF" and r.rssi == -55 and r.tx_power is None
    for bad in (0, -20, -110):
        got = parse_message(
            "wayfinding/d/receivers/rx/readings", json.dumps({"tag": "w", "rssi": -60, "tx_power": bad})
        )
        assert got[0].tx_power is None
    assert parse_message("espresense/devices/w/rx", b'{"rssi": -60, "rssi@1m": 4}')[0].tx_power is None


def test_a_wristband_linked_by_hand_is_heard_through_espresense(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Linked as typed from the band's label (capitals), heard as ESPresense names it."""
    from tracker.store import TrackerStore

    store = TrackerStore(connect(f"sqlite:///{tmp_path / 's.db'}"))
    link, _ = store.link(
        UUID.upper() + "-1-42", patient_ref="P-1", pathway_id="ambulatory-surgery", actor="t"
    )
    assert link.tag == CANONICAL
    reading = parse_message(f"espresense/devices/iBeacon:{UUID}-1-42/rx-1", b'{"rssi": -60}')[0]
    assert reading.tag == link.tag
    # Discharged from the command line by the id as ESPresense shows it.
    import subprocess
    import sys

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "--db",
            f"sqlite:///{tmp_path / 's.db'}",
            "discharge",
            f"iBeacon:{UUID}-1-42",
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert store.active_links() == []


# ----------------------------------------------------------------------------- signs of life


@pytest.mark.parametrize(
    ("topic", "payload", "receiver", "online"),
    [
        ("wayfinding/demo/receivers/rx-C1-uca-changing/readings", b"[]", "rx-C1-uca-changing", True),
        ("wayfinding/demo/receivers/rx-1/readings", b" [ ]\n", "rx-1", True),
        # ESPresense: telemetry as a node sends it, and its last will.
        (
            "espresense/rooms/rx-C1-prep-1/telemetry",
            b'{"ip":"10.0.0.21","uptime":86400,"firm":"esp32","rssi":-61,"ver":"v3.3.2",'
            b'"count":3,"adverts":1520,"seen":12,"reported":9,"freeHeap":112000,"maxHeap":65000}',
            "rx-C1-prep-1",
            True,
        ),
        ("espresense/rooms/rx-C1-prep-1/status", b"online", "rx-C1-prep-1", True),
        ("espresense/rooms/rx-C1-prep-1/status", b"offline", "rx-C1-prep-1", False),
        # OpenMQTTGateway: system message and last will.
        (
            "home/rx-B2-or-1/SYStoMQTT",
            b'{"uptime":3600,"version":"v1.7.0","freemem":120000,"rssi":-70,"SSID":"ward","modules":["BT"]}',
            "rx-B2-or-1",
            True,
        ),
        ("home/rx-B2-or-1/LWT", b"offline", "rx-B2-or-1", False),
        ("home/rx-B2-or-1/LWT", "Online", "rx-B2-or-1", True),
    ],
)
def test_receivers_say_they_work(topic: str, payload: bytes | str, receiver: str, online: bool) -> None:
    beat = parse_heartbeat(topic, payload)
    assert beat is not None and (beat.receiver, beat.online) == (receiver, online)
    if topic.endswith("/readings"):
        assert parse_message(topic, payload) == []  # and it carries no reading


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("wayfinding/demo/receivers/rx-1/readings", b'[{"tag": "a", "rssi": -60}]'),
        ("wayfinding/demo/receivers/rx-1/readings", b'{"tag": "a", "rssi": -60}'),
        ("espresense/devices/iBeacon:x/rx-1", b'{"rssi": -60}'),
        ("home/gw/BTtoMQTT/AABBCC000001", b'{"id": "AA:BB:CC:00:00:01", "rssi": -60}'),
        ("espresense/rooms/rx-1/max_distance", b"5"),
    ],
)
def test_readings_are_not_signs_of_life(topic: str, payload: bytes) -> None:
    assert parse_heartbeat(topic, payload) is None


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("espresense/rooms/rx-1/status", b"maybe", "field"),
        ("home/gw/LWT", b"", "field"),
        ("espresense/rooms/rx-1/telemetry", b"{oops", "json"),
        ("home/gw/SYStoMQTT", b"[1]", "type"),
        ("espresense/rooms/a+b/telemetry", b"{}", "tag"),
    ],
)
def test_bad_signs_of_life_name_the_reason(topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_heartbeat(topic, payload)
    assert info.value.reason == reason and topic in str(info.value)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.binary(max_size=64),
    topic=st.sampled_from(
        [
            "wayfinding/demo/receivers/rx/readings",
            "espresense/rooms/rx/telemetry",
            "espresense/rooms/rx/status",
            "home/gw/SYStoMQTT",
            "home/gw/LWT",
        ]
    ),
)
def test_any_payload_on_a_heartbeat_topic_is_one_or_a_payload_error(topic: str, payload: bytes) -> None:
    try:
        beat = parse_heartbeat(topic, payload)
    except PayloadError:
        return
    assert beat is None or beat.receiver in ("rx", "gw")
