"""Inline SVG charts: valid XML, labelled, escaped, no inline style, numbers also as rows."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from masip.reports.charts import (
    NO_DATA,
    Chart,
    horizontal_bar_chart,
    table_rows_html,
    transition_table,
    vertical_bar_chart,
)
from masip.reports.suppression import Suppression, suppress_list

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [("Jan 2026", 12), ("Feb 2026", 30), ("Mar 2026", 7)]


def parse(chart: Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))  # noqa: S314 - our own markup, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def assert_no_inline_style(chart: Chart) -> None:
    assert "style=" not in str(chart.svg)
    assert "<script" not in str(chart.svg)
    assert 'href="http' not in str(chart.svg)
    for el in parse(chart).iter():
        assert "style" not in el.attrib


@pytest.mark.parametrize("build", [vertical_bar_chart, horizontal_bar_chart])
def test_a_bar_chart_is_an_accessible_image_with_every_number(build: object) -> None:
    chart = build(title="Referrals per month", items=MONTHS, label_header="Month", value_header="Referrals")  # type: ignore[operator]
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "referrals-per-month-title referrals-per-month-desc"
    assert root.find(f"{SVG}title").text == "Referrals per month"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == "Jan 2026: 12; Feb 2026: 30; Mar 2026: 7."
    written = texts(root)
    for label, value in MONTHS:
        assert label in written
        assert str(value) in written  # the value is written, not left to the bar's length
    assert len(root.findall(f".//{SVG}rect")) == 3
    assert_no_inline_style(chart)
    assert not chart.empty
    assert chart.headers == ("Month", "Referrals")
    assert [(row.label, row.cells[0].display) for row in chart.rows] == [
        ("Jan 2026", "12"),
        ("Feb 2026", "30"),
        ("Mar 2026", "7"),
    ]


def test_vertical_bars_are_in_proportion() -> None:
    chart = vertical_bar_chart(title="Referrals", items=MONTHS, label_header="Month", value_header="Referrals")
    heights = [float(r.get("height", "0")) for r in parse(chart).iter(f"{SVG}rect")]
    assert heights == [pytest.approx(64), pytest.approx(160), pytest.approx(160 * 7 / 30, abs=0.05)]


def test_horizontal_bars_are_in_proportion() -> None:
    chart = horizontal_bar_chart(
        title="Decisions", items=[("Refer", 10), ("Close", 20)], label_header="Decision", value_header="Cases"
    )
    widths = [float(r.get("width", "0")) for r in parse(chart).iter(f"{SVG}rect")]
    assert widths == [140, 280]


@pytest.mark.parametrize("build", [vertical_bar_chart, horizontal_bar_chart])
def test_a_label_is_escaped(build: object) -> None:
    chart = build(title='Decisions <&> "x"', items=[("<b>&amp</b>", 9)], label_header="A", value_header="B")  # type: ignore[operator]
    markup = str(chart.svg)
    assert "<b>" not in markup
    assert "&lt;b&gt;&amp;amp&lt;/b&gt;" in markup
    root = parse(chart)
    assert "<b>&amp</b>" in texts(root)
    assert root.find(f"{SVG}title").text == 'Decisions <&> "x"'  # type: ignore[union-attr]
    assert_no_inline_style(chart)


@pytest.mark.parametrize("build", [vertical_bar_chart, horizontal_bar_chart])
@pytest.mark.parametrize("items", [[], [("Jan 2026", 0), ("Feb 2026", 0)]])
def test_no_data_says_so(build: object, items: list[tuple[str, int]]) -> None:
    chart = build(title="Referrals per month", items=items, label_header="Month", value_header="Referrals")  # type: ignore[operator]
    root = parse(chart)
    assert chart.empty
    assert chart.rows == ()
    assert texts(root) == [NO_DATA]
    assert root.find(f"{SVG}desc").text == NO_DATA + "."  # type: ignore[union-attr]
    assert_no_inline_style(chart)


@pytest.mark.parametrize("build", [vertical_bar_chart, horizontal_bar_chart])
def test_a_suppressed_count_is_a_hatched_bar_labelled_with_its_mark(build: object) -> None:
    counts = suppress_list(items=[("Police", 12), ("Health", 2), ("Probation", 9)])
    items = list(zip(counts.labels, counts.cells, strict=True))
    chart = build(title="Referrals by source", items=items, label_header="Source", value_header="Referrals")  # type: ignore[operator]
    root = parse(chart)
    written = texts(root)
    assert "<5" in written
    assert "*" in written
    assert "12" in written
    assert "2" not in written  # the hidden count is nowhere in the picture
    assert "9" not in written
    rects = list(root.iter(f"{SVG}rect"))
    assert [r.get("fill") for r in rects] == [
        "#1d70b8",
        "url(#referrals-by-source-hatch)",
        "url(#referrals-by-source-hatch)",
    ]
    assert root.find(f".//{SVG}pattern").get("id") == "referrals-by-source-hatch"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert desc.startswith("Police: 12; Health: <5 (fewer than 5, not shown to protect identities); Probation: *")
    assert [row.cells[0].suppression for row in chart.rows] == [
        Suppression.SHOWN,
        Suppression.PRIMARY,
        Suppression.SECONDARY,
    ]
    assert_no_inline_style(chart)


def test_table_rows_carry_the_reason_for_screen_readers() -> None:
    counts = suppress_list(items=[("Police", 12), ("<Health>", 2), ("Probation", 9)])
    chart = vertical_bar_chart(
        title="By source",
        items=list(zip(counts.labels, counts.cells, strict=True)),
        label_header="Source",
        value_header="Referrals",
    )
    html = str(table_rows_html(chart))
    assert '<th scope="row" class="govuk-table__header">&lt;Health&gt;</th>' in html
    assert '&lt;5<span class="govuk-visually-hidden"> (fewer than 5, not shown to protect identities)</span>' in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">12</td>' in html


LEVELS = ["Standard", "Medium", "High"]


def test_transitions_are_a_suppressed_grid_and_a_table() -> None:
    counts = {
        ("High", "Medium"): 12,
        ("High", "High"): 3,
        ("High", "Standard"): 6,
        ("Medium", "Standard"): 9,
        ("Medium", "Medium"): 8,
        ("Standard", "Standard"): 10,
        ("Medium", "High"): 0,
    }
    result = transition_table(title="Risk at intake and at closure", levels=LEVELS, counts=counts)
    chart = result.chart
    assert chart.headers == (
        "Risk at intake",
        "Standard at closure",
        "Medium at closure",
        "High at closure",
        "Total",
    )
    # Rows: intake Standard [10, 0, 0], Medium [9, 8, 0], High [6, 12, 3]. 3 is small, and so is
    # the High closure total (3). High's row hides its smallest other non-zero cell, 6; the totals
    # row hides its smallest other total, 20 (Medium); the Standard column then hides 9 (its
    # smallest after 6), the Medium column 8 (for its total), which pairs with 9 in Medium's row.
    assert [[c.display for c in row.cells] for row in chart.rows] == [
        ["10", "0", "0", "10"],
        ["*", "*", "0", "17"],
        ["*", "12", "<5", "21"],
        ["25", "*", "<5", "48"],
    ]
    assert result.table.grand_total.value == 48
    root = parse(chart)
    written = texts(root)
    for level in LEVELS:
        assert written.count(level) == 2  # once across the top, once down the side
    assert "12" in written
    assert "<5" in written
    desc = root.find(f"{SVG}desc").text or ""  # type: ignore[union-attr]
    assert "High to Medium: 12" in desc
    assert "High to High: <5" in desc
    assert_no_inline_style(chart)


def test_transitions_with_an_unknown_level_are_refused() -> None:
    with pytest.raises(ValueError, match="not on the scale: Severe"):
        transition_table(title="Risk", levels=LEVELS, counts={("Severe", "High"): 6})


def test_transitions_with_no_cases_say_so() -> None:
    result = transition_table(title="Risk", levels=LEVELS, counts={})
    assert result.chart.empty
    assert texts(parse(result.chart)) == [NO_DATA]
