"""BLE readings as receivers publish them over MQTT, and the advertisements inside.

Three formats are accepted, each turned into :class:`Reading`:

- native: topic ``wayfinding/<site>/receivers/<receiver_id>/readings``, payload
  one JSON object or a list of them: ``{"tag": "<id>", "rssi": -67,
  "tx_power": -59, "ts": 1763800000.25, "battery_mv": 2950}`` (``tx_power``,
  ``ts``, ``battery_mv`` optional);
- ESPresense: topic ``espresense/devices/<device_id>/<room>``, payload
  ``{"id": ..., "rssi": -71, "rssi@1m": -59, "distance": 2.3, ...}``: the
  room is the receiver;
- OpenMQTTGateway / Theengs: topic ``home/<gateway>/BTtoMQTT/<mac>``, payload
  ``{"id": "AA:BB:..", "rssi": -70, "txpower": -59, "manufacturerdata": "4c00
  0215...", "servicedata": "..."}``: the gateway is the receiver; iBeacon
  and Eddystone frames inside are decoded (the tag is the iBeacon
  ``uuid-major-minor`` or the Eddystone ``namespace-instance`` when present, so
  that a wristband keeps its id whatever its MAC address does).

Receivers also say that they work, so that a working receiver's silence about a
wristband counts as evidence (see :func:`parse_heartbeat`): a native receiver
publishes an empty batch ``[]`` when it heard nothing; ESPresense nodes publish
``espresense/rooms/<room>/telemetry`` and their last will
``espresense/rooms/<room>/status`` (``online`` / ``offline``); OpenMQTTGateway
publishes ``home/<gateway>/SYStoMQTT`` and ``home/<gateway>/LWT``.

Every refusal is a :class:`PayloadError` whose ``reason`` is a short code the
tracker counts (``json``, ``type``, ``field``, ``rssi``, ``topic``...).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

#: RSSI outside this range (dBm) is not a BLE reading.
RSSI_MIN, RSSI_MAX = -120.0, 10.0
#: A reference power (RSSI at 1 m) outside this range (dBm) is something else (often the
#: advertised transmit level, "txpower": 12): ignored.
REF_POWER_MIN, REF_POWER_MAX = -100.0, -30.0
_TAG = re.compile(r"^[A-Za-z0-9:._-]{1,64}$")
_UUID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
_IBEACON_ID = re.compile(rf"^(?:ibeacon:)?({_UUID})-(\d{{1,5}})-(\d{{1,5}})$", re.IGNORECASE)
_EDDYSTONE_ID = re.compile(r"^(?:eddy:)?([0-9a-fA-F]{20})-([0-9a-fA-F]{12})$", re.IGNORECASE)
_MAC = re.compile(r"^[0-9a-fA-F]{2}(?::?[0-9a-fA-F]{2}){5}$")


def canonical_tag(raw: str) -> str:
    """One id per wristband, whichever gateway heard it (see docs/tracking.md):

    - iBeacon: ``<uuid, lower case, with hyphens>-<major>-<minor>`` (decimal), from
      ESPresense's ``iBeacon:<uuid>-<major>-<minor>``, OpenMQTTGateway's ``uuid``,
      ``major``, ``minor`` fields or decoded manufacturer data, or typed by hand;
    - Eddystone UID: ``<namespace, 20 hex>-<instance, 12 hex>``, lower case, from
      ESPresense's ``eddy:...`` or decoded service data;
    - a MAC address: ``AA:BB:CC:DD:EE:FF``;
    - anything else (a serial number): as given.
    """
    text = raw.strip()
    m = _IBEACON_ID.match(text)
    if m:
        u = m.group(1).replace("-", "").lower()
        return f"{u[0:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}-{int(m.group(2))}-{int(m.group(3))}"
    m = _EDDYSTONE_ID.match(text)
    if m:
        return f"{m.group(1).lower()}-{m.group(2).lower()}"
    if _MAC.match(text):
        h = text.replace(":", "").upper()
        return ":".join(h[i : i + 2] for i in range(0, 12, 2))
    return text


class PayloadError(ValueError):
    """A message that is not a usable reading; ``reason`` says which kind of wrong."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True, frozen=True)
class Reading:
    tag: str
    receiver: str
    rssi: float
    ts: float | None = None
    tx_power: float | None = None
    battery_mv: int | None = None


@dataclass(slots=True, frozen=True)
class Heartbeat:
    """A receiver saying it works (``online``), or its last will saying it stopped."""

    receiver: str
    online: bool


@dataclass(slots=True, frozen=True)
class IBeacon:
    uuid: str
    major: int
    minor: int
    measured_power: int

    @property
    def tag(self) -> str:
        return f"{self.uuid}-{self.major}-{self.minor}"


@dataclass(slots=True, frozen=True)
class EddystoneUID:
    namespace: str
    instance: str
    tx_power: int

    @property
    def tag(self) -> str:
        return f"{self.namespace}-{self.instance}"


@dataclass(slots=True, frozen=True)
class EddystoneTLM:
    battery_mv: int
    temperature_c: float | None
    adv_count: int
    uptime_s: float


# ----------------------------------------------------------------------------- advertisements


def _hex(data: str | bytes, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    try:
        return bytes.fromhex(data.replace(" ", "").replace(":", ""))
    except ValueError:
        raise PayloadError("hex", f"{what} is not hexadecimal: {data[:40]!r}") from None


def decode_ibeacon(manufacturer_data: str | bytes) -> IBeacon | None:
    """An iBeacon frame (Apple company id 0x004C, type 0x02, length 0x15), else None."""
    raw = _hex(manufacturer_data, "manufacturerdata")
    if len(raw) < 25 or raw[0:2] != b"\x4c\x00" or raw[2] != 0x02 or raw[3] != 0x15:
        return None
    u = raw[4:20].hex()
    uuid = f"{u[0:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}"
    major = int.from_bytes(raw[20:22], "big")
    minor = int.from_bytes(raw[22:24], "big")
    power = int.from_bytes(raw[24:25], "big", signed=True)
    return IBeacon(uuid, major, minor, power)


def decode_eddystone(service_data: str | bytes) -> EddystoneUID | EddystoneTLM | None:
    """An Eddystone UID (0x00) or unencrypted TLM (0x20) frame, else None.

    *service_data* is the data of service 0xFEAA, with or without the two
    UUID bytes (``aafe``) in front.
    """
    raw = _hex(service_data, "servicedata")
    if raw[:2] == b"\xaa\xfe":
        raw = raw[2:]
    if not raw:
        return None
    if raw[0] == 0x00 and len(raw) >= 18:
        tx = int.from_bytes(raw[1:2], "big", signed=True)
        return EddystoneUID(raw[2:12].hex(), raw[12:18].hex(), tx)
    if raw[0] == 0x20 and len(raw) >= 14 and raw[1] == 0x00:
        battery = int.from_bytes(raw[2:4], "big")
        temp_raw = int.from_bytes(raw[4:6], "big", signed=True)
        temperature = None if temp_raw == -0x8000 else temp_raw / 256.0
        count = int.from_bytes(raw[6:10], "big")
        uptime = int.from_bytes(raw[10:14], "big") / 10.0
        return EddystoneTLM(battery, temperature, count, uptime)
    return None


# ----------------------------------------------------------------------------- messages


_EMPTY_BATCH = re.compile(rb"\s*\[\s*\]\s*")
_HEARTBEAT_ENDS = ("/telemetry", "/status", "/SYStoMQTT", "/LWT", "/readings")


def parse_heartbeat(topic: str, payload: bytes | str) -> Heartbeat | None:
    """A receiver's sign of life, or None when the message is not one (then it is a
    reading message for :func:`parse_message`):

    - native: an empty batch ``[]`` on ``wayfinding/<site>/receivers/<id>/readings``;
    - ESPresense: ``espresense/rooms/<room>/telemetry`` (a JSON object), and
      ``espresense/rooms/<room>/status``, ``online`` or ``offline`` (its last will);
    - OpenMQTTGateway / Theengs: ``home/<gateway>/SYStoMQTT`` (a JSON object), and
      ``home/<gateway>/LWT``, ``online`` or ``offline``.
    """
    if not topic.endswith(_HEARTBEAT_ENDS):
        return None
    parts = topic.split("/")
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(parts) == 5 and parts[0] == "wayfinding" and parts[2] == "receivers" and parts[4] == "readings":
        if len(raw) > 16 or not _EMPTY_BATCH.fullmatch(raw):
            return None
        return Heartbeat(_receiver(parts[3], topic), True)
    if (
        len(parts) == 4
        and parts[0] == "espresense"
        and parts[1] == "rooms"
        and parts[3] in ("telemetry", "status")
    ):
        receiver, kind = parts[2], parts[3]
    elif len(parts) == 3 and parts[2] in ("SYStoMQTT", "LWT"):
        receiver, kind = parts[1], parts[2]
    else:
        return None
    receiver = _receiver(receiver, topic)
    if kind in ("status", "LWT"):
        text = raw.decode("utf-8", "replace").strip().strip('"').lower()
        if text not in ("online", "offline"):
            raise PayloadError("field", f"{topic}: {text[:20]!r} is neither 'online' nor 'offline'")
        return Heartbeat(receiver, text == "online")
    data = _json(topic, raw)
    if not isinstance(data, dict):
        raise PayloadError("type", f"{topic}: payload is not a JSON object")
    return Heartbeat(receiver, True)


def parse_message(topic: str, payload: bytes | str) -> list[Reading]:
    """The readings in one MQTT message, whatever the format its topic says."""
    parts = topic.split("/")
    data = _json(topic, payload)
    if len(parts) == 5 and parts[0] == "wayfinding" and parts[2] == "receivers" and parts[4] == "readings":
        receiver = parts[3]
        items = data if isinstance(data, list) else [data]
        return [_native(item, receiver, topic, i) for i, item in enumerate(items)]
    if len(parts) == 4 and parts[0] == "espresense" and parts[1] == "devices":
        return [_espresense(data, parts[2], parts[3], topic)]
    if len(parts) == 4 and parts[2] == "BTtoMQTT":
        return [_theengs(data, parts[1], parts[3], topic)]
    raise PayloadError("topic", f"{topic}: not a readings topic this tracker knows")


def _json(topic: str, payload: bytes | str) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("json", f"{topic}: payload is not JSON ({exc})") from None


def _num(value: Any, field: str, where: str, *, required: bool = True) -> float | None:
    if value is None:
        if required:
            raise PayloadError("field", f"{where}: {field} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError("type", f"{where}: {field} is {type(value).__name__}, not a number")
    if not math.isfinite(value):
        raise PayloadError("type", f"{where}: {field} is not finite")
    return float(value)


def _rssi(value: Any, where: str) -> float:
    rssi = _num(value, "rssi", where)
    assert rssi is not None
    if not RSSI_MIN <= rssi <= RSSI_MAX:
        raise PayloadError("rssi", f"{where}: rssi {rssi:g} dBm is not a BLE signal strength")
    return rssi


def _tag(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _TAG.match(value):
        raise PayloadError(
            "tag",
            f"{where}: tag {str(value)[:40]!r} is not a wristband id "
            "(1 to 64 letters, digits, ':', '.', '_' or '-')",
        )
    return canonical_tag(value)


def _receiver(value: str, where: str) -> str:
    if not _TAG.match(value):
        raise PayloadError(
            "tag", f"{where}: receiver {value[:40]!r} is not a receiver id (letters, digits, '.', '_', '-')"
        )
    return value


def _ref_power(value: Any, field: str, where: str) -> float | None:
    """A reference power (RSSI at 1 m), or None when absent or implausible."""
    power = _num(value, field, where, required=False)
    if power is None or not REF_POWER_MIN <= power <= REF_POWER_MAX:
        return None
    return power


def _native(item: Any, receiver: str, topic: str, index: int) -> Reading:
    where = f"{topic}[{index}]"
    if not isinstance(item, dict):
        raise PayloadError("type", f"{where}: a reading is a JSON object")
    battery = _num(item.get("battery_mv"), "battery_mv", where, required=False)
    return Reading(
        tag=_tag(item.get("tag"), where),
        receiver=_receiver(receiver, topic),
        rssi=_rssi(item.get("rssi"), where),
        ts=_num(item.get("ts"), "ts", where, required=False),
        tx_power=_ref_power(item.get("tx_power"), "tx_power", where),
        battery_mv=int(battery) if battery is not None else None,
    )


def _espresense(data: Any, device: str, room: str, topic: str) -> Reading:
    if not isinstance(data, dict):
        raise PayloadError("type", f"{topic}: payload is not a JSON object")
    # ESPresense names an iBeacon "iBeacon:<uuid>-<major>-<minor>" in the topic and in
    # "id"; the id is the device's, the topic's last level the node (room) that heard it.
    ident = data.get("id") if isinstance(data.get("id"), str) else device
    return Reading(
        tag=_tag(ident, topic),
        receiver=_receiver(room, topic),
        rssi=_rssi(data.get("rssi"), topic),
        ts=_num(data.get("ts"), "ts", topic, required=False),
        tx_power=_ref_power(data.get("rssi@1m"), "rssi@1m", topic),
    )


def _theengs(data: Any, gateway: str, mac: str, topic: str) -> Reading:
    if not isinstance(data, dict):
        raise PayloadError("type", f"{topic}: payload is not a JSON object")
    tag = str(data.get("id") or mac)
    # "txpower" is a reference power at 1 m in decoded iBeacon messages (-66) but the
    # advertised transmit level in the older short form (12): kept only when plausible.
    tx = _ref_power(data.get("txpower"), "txpower", topic)
    uuid, major, minor = data.get("uuid"), data.get("major"), data.get("minor")
    if isinstance(uuid, str) and isinstance(major, int) and isinstance(minor, int):
        tag = f"{uuid}-{major}-{minor}"  # decoded iBeacon (Theengs decoder)
    battery = None
    try:
        return _theengs_frames(data, gateway, topic, tag, tx, battery)
    except PayloadError as exc:
        if topic in str(exc):
            raise
        raise PayloadError(exc.reason, f"{topic}: {exc}") from None


def _theengs_frames(
    data: dict[str, Any], gateway: str, topic: str, tag: str, tx: float | None, battery: int | None
) -> Reading:
    if isinstance(data.get("manufacturerdata"), str):
        ib = decode_ibeacon(data["manufacturerdata"])
        if ib is not None:
            tag = ib.tag
            tx = float(ib.measured_power) if REF_POWER_MIN <= ib.measured_power <= REF_POWER_MAX else None
    if isinstance(data.get("servicedata"), str):
        frame = decode_eddystone(data["servicedata"])
        if isinstance(frame, EddystoneUID):
            tag, tx = frame.tag, float(frame.tx_power) - 41.0  # 0 m power -> 1 m power
            if not REF_POWER_MIN <= tx <= REF_POWER_MAX:
                tx = None
        elif isinstance(frame, EddystoneTLM):
            battery = frame.battery_mv
    return Reading(
        tag=_tag(tag, topic),
        receiver=_receiver(gateway, topic),
        rssi=_rssi(data.get("rssi"), topic),
        tx_power=tx,
        battery_mv=battery,
        ts=_num(data.get("ts"), "ts", topic, required=False),
    )


# ----------------------------------------------------------------------------- ingest batches


def batch_payload(readings: list[Reading]) -> bytes:
    """Readings as an ingest worker republishes them for one partition of the wristbands
    (``wayfinding/<site>/tags/<partition>/readings``): a JSON list of native readings,
    each with its receiver (``rx``) and its time stamp. Read back by :func:`parse_batch`."""
    items = []
    for r in readings:
        item: dict[str, Any] = {"tag": r.tag, "rx": r.receiver, "rssi": r.rssi, "ts": r.ts}
        if r.tx_power is not None:
            item["tx_power"] = r.tx_power
        if r.battery_mv is not None:
            item["battery_mv"] = r.battery_mv
        items.append(item)
    return json.dumps(items, separators=(",", ":")).encode()


def parse_batch(topic: str, payload: bytes | str) -> list[Reading]:
    """The readings of an ingest batch (:func:`batch_payload`), checked as receivers'
    readings are (anyone who may publish on the broker could publish there)."""
    data = _json(topic, payload)
    if not isinstance(data, list):
        raise PayloadError("type", f"{topic}: an ingest batch is a JSON list")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("rx"), str):
            raise PayloadError("field", f"{topic}[{i}]: a batched reading names its receiver ('rx')")
        reading = _native(item, item["rx"], topic, i)
        if reading.ts is None:
            raise PayloadError("field", f"{topic}[{i}]: a batched reading has its time stamp ('ts')")
        out.append(reading)
    return out
