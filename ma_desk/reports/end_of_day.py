"""The manager's end-of-day report: counts, waits, copays, open items and every visit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ma_desk.reports import fonts
from ma_desk.reports.charts import arrivals_chart, waits_chart
from ma_desk.reports.data import EndOfDayData
from ma_desk.reports.day_summary import (
    DaySummary,
    WaitStats,
    summarise,
    wait_stats,
    wait_to_provider,
    wait_to_room,
)
from ma_desk.reports.document import (
    ACCENT,
    CRITICAL,
    RULE,
    SHADE,
    build_pdf,
    fmt_long_date,
    fmt_time,
    frame_width,
    letterhead,
    money,
    p,
    p_markup,
)

if TYPE_CHECKING:
    from reportlab.platypus import Flowable, Table

STATUS_LABELS = {
    "scheduled": "Scheduled", "confirmed": "Confirmed", "arrived": "Arrived",
    "roomed": "Roomed", "with_provider": "With provider", "checked_out": "Checked out",
    "no_show": "No-show", "cancelled": "Cancelled", "left_without_being_seen": "Left unseen",
}  # fmt: skip

OPEN_ITEM_TITLES = {
    "not_checked_out": "Visits not checked out",
    "notify_provider": "Provider not yet notified",
    "critical_vitals": "Critical vitals not acknowledged",
    "room_not_closed": "Rooms without a closing checklist today",
    "insurance_stale": "Insurance verification stale or missing",
}


def _grid(
    rows: list[list[Any]],
    col_widths: list[float],
    *,
    header: bool = True,
    zebra: bool = False,
    total: bool = False,
) -> Table:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    table = Table(rows, colWidths=col_widths, hAlign="LEFT", repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 9.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), fonts.BOLD, 8.5),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
            ("BACKGROUND", (0, 0), (-1, 0), HexColor(SHADE)),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, HexColor(ACCENT)),
        ]
    if zebra:
        style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, HexColor("#f7f9fb")]))
    if total:
        style += [
            ("FONT", (0, -1), (-1, -1), fonts.BOLD, 9.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, HexColor(RULE)),
        ]
    table.setStyle(TableStyle(style))
    return table


HEADING_ROOM = 110  # points: a heading needs room for itself and a few rows below it


def _section(heading: str, *body: Any) -> list[Any]:
    """A heading kept with what follows: never alone at the foot of a page.

    ``keepWithNext`` alone does not hold a heading to a KeepTogether or a long table, so
    a conditional page break asks for the heading's room plus a few rows first, and a
    short section is kept whole.
    """
    from reportlab.platypus import CondPageBreak, KeepTogether

    return [CondPageBreak(HEADING_ROOM), KeepTogether([p_markup(heading, "h2"), *body])]


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _key_figures(summary: DaySummary, width: float) -> Table:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import Table, TableStyle

    figures = [
        ("Scheduled", summary.scheduled), ("Walk-ins", summary.walk_ins),
        ("Arrived", summary.arrived), ("No-shows", summary.no_show),
        ("Cancelled", summary.cancelled), ("Checked out", summary.checked_out),
        ("Left unseen", summary.left_without_being_seen),
        ("Still in clinic", summary.still_in_clinic),
    ]  # fmt: skip
    numbers = [p_markup(f"{value}", "title") for _, value in figures]
    labels = [p_markup(label, "small") for label, _ in figures]
    cells = [numbers[:4], labels[:4], numbers[4:], labels[4:]]
    table = Table(cells, colWidths=[width / 4] * 4, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HexColor(SHADE)),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 1), (-1, 1), 8),
                ("BOTTOMPADDING", (0, 3), (-1, 3), 8),
                ("LINEAFTER", (0, 0), (2, -1), 0.5, HexColor("#ffffff")),
            ]
        )  # fmt: skip
    )
    return table


def build_end_of_day(data: EndOfDayData, summary: DaySummary | None = None) -> bytes:
    """The PDF bytes; ``summary`` defaults to ``summarise(data.visits)`` (the CSV's figures)."""
    fonts.ensure_fonts()
    from reportlab.platypus import CondPageBreak, Spacer, Table

    summary = summary or summarise(data.visits, data.providers)
    width = frame_width()
    scope = f" — {fonts.para(data.provider_filter, limit=80)}" if data.provider_filter else ""
    story: list[Any] = letterhead(data.clinic, width, f"End-of-Day Report{scope}")
    story.append(p(f"{fmt_long_date(data.day)}. Prepared {fmt_time(data.generated_at)} on "
                   f"{data.generated_at:%Y-%m-%d}.", "muted"))  # fmt: skip
    if data.audit_anchor:
        story.append(p(f"Audit trail anchor: {data.audit_anchor}. File this page: "
                       f"'ma-desk audit verify --anchor {data.audit_anchor}' proves the audit "
                       "trail up to this report is unchanged.", "muted"))  # fmt: skip
    story.append(_key_figures(summary, width))

    rows: list[list[Any]] = [["Provider", "Scheduled", "Walk-ins", "Arrived", "No-shows",
                              "Cancelled", "Checked\nout"]]  # fmt: skip
    for c in summary.per_provider:
        rows.append([p(c.provider, "small", limit=80), c.scheduled, c.walk_ins, c.arrived,
                     c.no_show, c.cancelled, c.checked_out])  # fmt: skip
    rows.append(["All", summary.scheduled, summary.walk_ins, summary.arrived, summary.no_show,
                 summary.cancelled, summary.checked_out])  # fmt: skip
    story += _section("By provider",
                      _grid(rows, [width - 6 * 0.88 * 72] + [0.88 * 72] * 6, total=True))  # fmt: skip

    rows = [["Wait", "Visits timed", "Average (min)", "90th percentile (min)"]]
    for label, stats in (("Arrival to rooming", summary.wait_to_room),
                         ("Rooming to provider", summary.wait_to_provider)):  # fmt: skip
        rows.append([label, stats.count, _minutes(stats.average), _minutes(stats.p90)])
    story += _section("Waiting times", _grid(rows, [width - 4.2 * 72, 1.2 * 72, 1.4 * 72,
                                                    1.6 * 72]))  # fmt: skip

    per_provider_waits: list[tuple[str, WaitStats, WaitStats]] = []
    for c in summary.per_provider:
        mine = [v for v in data.visits if v.provider == c.provider]
        per_provider_waits.append((c.provider, wait_stats(wait_to_room(v) for v in mine),
                                   wait_stats(wait_to_provider(v) for v in mine)))  # fmt: skip
    half = (width - 12) / 2
    charts = Table(
        [[arrivals_chart(summary.arrivals_by_hour, half, 150),
          waits_chart(per_provider_waits[:8], half, 150)]],
        colWidths=[half + 6, half + 6], hAlign="LEFT",
    )  # fmt: skip
    story.append(Spacer(1, 8))
    story.append(charts)

    rows = [["Payment method", "Visits", "Expected", "Collected", "Difference"]]
    for line in summary.copays:
        rows.append([line.label, line.visits, money(line.expected_cents),
                     money(line.collected_cents),
                     money(line.collected_cents - line.expected_cents)])  # fmt: skip
    rows.append(["Total", sum(x.visits for x in summary.copays),
                 money(summary.copay_expected_cents), money(summary.copay_collected_cents),
                 money(summary.copay_collected_cents - summary.copay_expected_cents)])  # fmt: skip
    story += _section("Copays", _grid(rows, [width - 5 * 72, 72, 1.3 * 72, 1.3 * 72, 1.4 * 72],
                                      total=True))  # fmt: skip

    story += _open_items(data)

    # The visit table may fill pages: the heading asks for room, then the table splits.
    story.append(CondPageBreak(HEADING_ROOM))
    story.append(p_markup(f"All appointments ({len(data.visits)})", "h2_loose"))
    story.extend(_visit_table(data, width))

    return build_pdf(
        story,
        title=f"End-of-day report {data.day.isoformat()}",
        header_left=fonts.clean(data.clinic.name)[:80],
        header_right=f"End of day · {data.day.isoformat()}"
        + (f" · {fonts.clean(data.provider_filter)[:40]}" if data.provider_filter else ""),
        footer_left="Contains patient information: keep secure, shred when done.",
    )


def _open_items(data: EndOfDayData) -> list[Any]:
    """Open items grouped by kind; each group title stays with its first lines."""
    from reportlab.platypus import CondPageBreak, KeepTogether

    heading = f"Open items ({len(data.open_items)})"
    if not data.open_items:
        return _section(heading, p("Nothing left open. Good work, team."))
    flow: list[Any] = [CondPageBreak(HEADING_ROOM)]
    kinds = list(dict.fromkeys(item.kind for item in data.open_items))
    for n, kind in enumerate(kinds):
        items = [i for i in data.open_items if i.kind == kind]
        title = p_markup(f"{OPEN_ITEM_TITLES.get(kind, fonts.para(kind))} ({len(items)})", "h3")
        bullets = [p_markup(fonts.para(item.description, limit=300), "bullet", bullet="•")
                   for item in items]  # fmt: skip
        head = [p_markup(heading, "h2")] if n == 0 else []
        flow.append(KeepTogether([*head, title, *bullets[:3]]))
        flow.extend(bullets[3:])
    return flow


def _cell_text(text: str, width: float, style: str = "tiny") -> str | Flowable:
    """A plain string when it fits on one line in DejaVu (fast), else a wrapping Paragraph."""
    value = fonts.clean(text).replace("\n", " ")
    pieces = fonts.runs(value)
    if len(pieces) <= 1 and all(f == fonts.REGULAR for f, _ in pieces) and \
            fonts.text_width(value, size=8) <= width:  # fmt: skip
        return "".join(run for _, run in pieces)  # in drawing order (right-to-left names)
    return p(value, style, limit=120)


PROVIDER_MIN = 1.3 * 72
PROVIDER_MAX = 2.1 * 72  # beyond this a provider's name wraps (whole) instead of widening


def _provider_width(data: EndOfDayData) -> float:
    """The provider column: as wide as the longest name with credentials, within limits.

    "Jordan Smith, MD, FAAP" must print whole; the patient column gives up the room.
    """
    names = {v.provider for v in data.visits} | set(data.providers)
    widest = max((fonts.text_width(fonts.clean(n), size=8) for n in names), default=0.0)
    return min(PROVIDER_MAX, max(PROVIDER_MIN, widest + 8 + 1))


def _visit_table(data: EndOfDayData, width: float) -> list[Flowable]:
    from reportlab.lib.colors import HexColor

    rows: list[list[Any]] = [["Time", "Patient", "MRN", "Provider", "Status", "To room",
                              "To prov.", "Copay"]]  # fmt: skip
    fixed = [0.6 * 72, 0.95 * 72, _provider_width(data), 1.05 * 72, 0.55 * 72, 0.6 * 72,
             0.65 * 72]  # fmt: skip
    widths = [fixed[0], width - sum(fixed), *fixed[1:]]  # the patient column takes the rest
    flagged = []
    walk_ins = False
    for i, v in enumerate(data.visits, start=1):
        status = STATUS_LABELS.get(v.status, v.status.replace("_", " "))
        walk_ins = walk_ins or v.walk_in
        rows.append([
            f"{v.start:%H:%M}" + (" W" if v.walk_in else ""),
            _cell_text(v.patient_name, widths[1] - 8),
            fonts.fit(v.mrn, widths[2] - 8, size=8),
            _cell_text(v.provider, widths[3] - 8),
            status,
            _minutes(wait_to_room(v)),
            _minutes(wait_to_provider(v)),
            money(v.copay_collected_cents) if v.copay_collected_cents else "",
        ])  # fmt: skip
        if v.open_items:
            flagged.append(i)
    table = _grid(rows, widths, zebra=True)
    extra: list[tuple[Any, ...]] = [
             ("FONT", (0, 1), (-1, -1), fonts.REGULAR, 8), ("FONT", (0, 0), (-1, 0), fonts.BOLD, 8),
             ("ALIGN", (1, 0), (4, -1), "LEFT")]  # fmt: skip
    for i in flagged:
        extra.append(("LINEBEFORE", (0, i), (0, i), 2.5, HexColor(CRITICAL)))
    table.setStyle(extra)
    legend = (
        "Times are the booked start; W = walk-in. A red bar marks an appointment with open items."
    )
    return [table, p(legend, "tiny")] if walk_ins or flagged else [table]
