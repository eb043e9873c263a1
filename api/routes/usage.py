"""Usage (``/staff/usage``, roles ``facilities`` or ``admin``): anonymous daily counts of routes,
searches and answers, as a page and as CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SettingsDep, SnapshotDep, service_of
from api.errors import ApiError
from api.i18n import page_languages, ui
from api.security import AnyStaff
from api.staff_pages import in_thread, staff_context, staff_page, staff_words
from core.accounts import StaffUser
from core.settings import Settings
from core.usage import Period, UsageRecorder

pages = APIRouter(include_in_schema=False)


async def usage_reader(request: Request, user: AnyStaff) -> StaffUser:
    """Those who run the hospital: facilities staff and administrators."""
    if not (user.can("facilities") or user.can("admin")):
        raise ApiError(
            403,
            f"Your account ({user.name}) has neither the 'facilities' nor the 'admin' role.",
            reason="role",
        )
    return user


UsageReader = Annotated[StaffUser, Depends(usage_reader)]
DayParam = Annotated[date | None, Query()]
MAX_DAYS = 800


def _period(start: date | None, end: date | None, settings: Settings) -> Period:
    today = datetime.now(settings.zone).date()
    end = end or today
    start = start or end - timedelta(days=27)
    if start > end:
        raise ApiError(422, f"The period starts ({start}) after it ends ({end}).", reason="period")
    if (end - start).days > MAX_DAYS:
        raise ApiError(422, f"Ask for at most {MAX_DAYS} days at a time.", reason="period")
    return Period(start, end)


def _usage(request: Request) -> UsageRecorder:
    usage = service_of(request).usage
    if usage is None:
        raise ApiError(503, "No database: usage is not counted.", reason="no-store")
    return usage


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def _split(counter: Counter[str]) -> dict[str, Counter[str]]:
    """``"yes|Radiologie"`` keys -> place -> {yes, no}."""
    out: dict[str, Counter[str]] = {}
    for key, n in counter.items():
        answer, _, place = key.partition("|")
        out.setdefault(place, Counter())[answer] += n
    return out


@pages.get("/staff/usage", response_class=HTMLResponse)
async def usage_page(
    request: Request,
    user: UsageReader,
    snap: SnapshotDep,
    settings: SettingsDep,
    start: DayParam = None,
    end: DayParam = None,
) -> HTMLResponse:
    usage = _usage(request)
    period = _period(start, end, settings)
    _lang, words = staff_words(request, settings)
    sites = service_of(request).usage_sites(snap)  # a hospital with several: this site's figures

    def work() -> dict[str, Any]:
        usage.flush()  # this process's last seconds too
        return {"totals": usage.totals(period, sites=sites), "daily": usage.daily(period, sites=sites)}

    data = await in_thread(work)
    totals: dict[str, Counter[str]] = data["totals"]
    daily: dict[date, Counter[str]] = data["daily"]

    def t(kind: str) -> Counter[str]:
        return totals.get(kind, Counter())

    routes = sum(t("route").values())
    phone_routes = t("route.source")["phone"]
    weeks: dict[str, Counter[str]] = {}
    for day, c in sorted(daily.items()):
        iso = day.isocalendar()
        weeks.setdefault(f"{iso.year}-W{iso.week:02d}", Counter()).update(c)
    arrivals_dest, arrivals_origin = _split(t("arrival.dest")), _split(t("arrival.origin"))

    def ranked(c: Counter[str], n: int = 15) -> list[tuple[str, int, int]]:
        top = c.most_common(n)
        peak = top[0][1] if top else 1
        return [(k or "—", v, round(100 * v / peak)) for k, v in top]

    def coded(rows: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """Codes counted ("not-found", "phone") in the page's words."""
        return [(words.get(f"u_code_{k}", k), v, pct) for k, v, pct in rows]

    ctx = staff_context(
        request,
        snap,
        settings,
        user,
        path="/staff/usage",
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        routes=routes,
        searches=sum(t("search").values()),
        misses=sum(t("search.miss").values()),
        step_free=_share(t("route.profile")["step_free"], routes),
        followed=_share(t("followed")["phone"], phone_routes),
        with_sensors=_share(t("followed.sensors")["phone"], phone_routes),
        arrival_yes=t("arrival")["yes"],
        arrival_no=t("arrival")["no"],
        arrival_share=_share(t("arrival")["yes"], t("arrival")["yes"] + t("arrival")["no"]),
        by_dest=ranked(t("route.dest")),
        by_origin=ranked(t("route.origin")),
        by_lang=ranked(t("route.lang")),
        by_source=coded(ranked(t("route.source"))),
        refused=coded(ranked(t("refused"))),
        missed=ranked(t("search.miss"), 30),
        by_sign=ranked(t("sign.scan"), 30),
        sign_scans=sum(t("sign.scan").values()),
        reanchored=t("sign.reanchor")["on"] + t("sign.reanchor")["off"],
        reanchored_off=t("sign.reanchor")["off"],
        arrivals_dest=sorted(arrivals_dest.items(), key=lambda kv: -sum(kv[1].values()))[:20],
        arrivals_origin=sorted(arrivals_origin.items(), key=lambda kv: -sum(kv[1].values()))[:20],
        days=[(d.isoformat(), c) for d, c in sorted(daily.items(), reverse=True)],
        weeks=sorted(weeks.items(), reverse=True),
        keep_days=settings.usage_days,
        csv_url="/staff/usage.csv?"
        + urlencode({"start": period.start, "end": period.end, **({"site": sites[0]} if sites else {})}),
        share=_share,
        lang_name=lambda code: ui(code)["language_name"] if code in page_languages([code]) else code,
    )
    return staff_page("fac_usage.html", ctx)


@pages.get("/staff/usage.csv")
async def usage_csv(
    request: Request,
    user: UsageReader,
    snap: SnapshotDep,
    settings: SettingsDep,
    start: DayParam = None,
    end: DayParam = None,
) -> Response:
    """Every daily counter of the period (of the site asked, for a hospital with several): day,
    kind, key, count (UTF-8, comma-separated)."""
    usage = _usage(request)
    period = _period(start, end, settings)
    sites = service_of(request).usage_sites(snap)

    def work() -> str:
        usage.flush()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["day", "kind", "key", "count"])
        for day, kind, key, n in usage.rows(period, sites=sites):
            writer.writerow([day.isoformat(), kind, key, n])
        return str(out.getvalue())

    body = await in_thread(work)
    name = f"usage-{sites[0] + '-' if sites else ''}{period.start}-{period.end}.csv"
    return Response(
        body.encode("utf-8-sig"),  # a BOM: spreadsheets then read the accents right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
