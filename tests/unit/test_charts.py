"""monitor.report.charts: the SVG parses, and its geometry, labels and links match the inputs."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from monitor.report.charts import Point, Series, line_chart, presence_chart, sparkline

NS = "{http://www.w3.org/2000/svg}"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ARABIC = "الجيش السوري الحر"
HEBREW = "צבא ההגנה לישראל"
DIFF = "https://en.wikipedia.org/w/index.php?diff={}&oldid={}"


def svg(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    root = ET.fromstring(str(markup))
    assert root.tag == NS + "svg"
    return root


def pt(time: str, value: int, *, reverted: bool = False, href: str | None = None, label=""):
    return Point(time, value, href, label or f"{value:,} at {time}", reverted)


def points(root: ET.Element) -> list[ET.Element]:
    """The point elements (circles and reverted ×), in document order."""
    return [e for e in root.iter() if "data-time" in e.attrib and e.get("data-value")]


def plot_box(root: ET.Element) -> tuple[float, float, float, float]:
    rect = root.find(f".//{NS}rect[@class='plot-area']")
    x, y = float(rect.get("x")), float(rect.get("y"))
    return x, y, x + float(rect.get("width")), y + float(rect.get("height"))


def centre(e: ET.Element) -> tuple[float, float]:
    if e.tag == NS + "circle":
        return float(e.get("cx")), float(e.get("cy"))
    x, y = re.match(r"M(-?[\d.]+) (-?[\d.]+)", e.get("d")).groups()
    return float(x) + 3.5, float(y) + 3.5  # the × starts at its top-left corner


def vertices(d: str) -> list[tuple[float, float]]:
    """The corners of a path made of M, H and V commands."""
    out: list[tuple[float, float]] = []
    for cmd, args in re.findall(r"([MHV])([-\d. ]+)", d):
        nums = [float(n) for n in args.split()]
        x, y = out[-1] if out else (0.0, 0.0)
        if cmd == "M":
            out.append((nums[0], nums[1]))
        elif cmd == "H":
            out.append((nums[0], y))
        else:
            out.append((x, nums[0]))
    return out


def y_scale(root: ET.Element):
    """value -> y, read off the y-axis labels (each drawn 4 px below its value's line)."""
    labels = root.findall(f".//{NS}g[@class='y-axis']/{NS}text")
    v0, y0 = int(labels[0].get("data-value")), float(labels[0].get("y")) - 4
    v1, y1 = int(labels[-1].get("data-value")), float(labels[-1].get("y")) - 4
    return lambda v: y0 + (v - v0) * (y1 - y0) / (v1 - v0)


def iso(t: datetime.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


SERIES = Series(
    "Syrian Arab Republic · killed",
    (
        pt("2024-12-01T14:03:00Z", 100, href=DIFF.format(11, 10)),
        pt("2024-12-02T10:00:00Z", 5000, reverted=True, href=DIFF.format(12, 11)),
        pt("2024-12-04T09:45:00Z", 220, href=DIFF.format(13, 12)),
        pt("2024-12-10T00:00:00Z", 14_200, href=DIFF.format(14, 13)),
    ),
)


# -- line chart: structure and geometry -------------------------------------------------------


def test_root_has_title_desc_and_accessible_name():
    root = svg(line_chart([SERIES], title="Casualties of the war"))
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 720 300"
    title, desc = root[0], root[1]
    assert (title.tag, desc.tag) == (NS + "title", NS + "desc")
    assert title.text == "Casualties of the war"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert "100 (2024-12-01)" in desc.text and "14,200 (2024-12-10)" in desc.text
    assert "1 reverted" in desc.text
    legend = root.find(f".//{NS}g[@class='legend']")
    assert "Syrian Arab Republic · killed" in [t.text for t in legend.iter(NS + "text")]


def test_one_point_element_per_point_with_its_time_value_and_tooltip():
    root = svg(line_chart([SERIES], title="t"))
    drawn = points(root)
    assert [(e.get("data-time"), int(e.get("data-value"))) for e in drawn] == [
        (p.time, p.value) for p in SERIES.points
    ]
    assert [e.find(NS + "title").text for e in drawn] == [
        "100 at 2024-12-01T14:03:00Z",
        "5,000 at 2024-12-02T10:00:00Z (reverted)",
        "220 at 2024-12-04T09:45:00Z",
        "14,200 at 2024-12-10T00:00:00Z",
    ]
    links = [a.get("href") for a in root.iter(NS + "a")]
    assert links == [p.href for p in SERIES.points]


def test_x_follows_time_and_maps_first_and_last_point_to_the_plot_edges():
    root = svg(line_chart([SERIES], title="t"))
    left, _, right, _ = plot_box(root)
    xs = [centre(e)[0] for e in points(root)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    assert xs[0] == pytest.approx(left, abs=0.1)
    assert xs[-1] == pytest.approx(right, abs=0.1)
    # linear in time
    t = [datetime.datetime.fromisoformat(p.time).timestamp() for p in SERIES.points]
    expected = left + (t[2] - t[0]) / (t[-1] - t[0]) * (right - left)
    assert xs[2] == pytest.approx(expected, abs=0.1)


def test_explicit_start_and_end_are_the_plot_edges():
    series = Series("s", (pt("2024-12-02T00:00:00Z", 5), pt("2024-12-03T00:00:00Z", 7)))
    root = svg(
        line_chart([series], title="t", start="2024-12-01T00:00:00Z", end="2024-12-05T00:00:00Z")
    )
    left, _, right, _ = plot_box(root)
    xs = [centre(e)[0] for e in points(root)]
    width = right - left
    assert xs == pytest.approx([left + width / 4, left + width / 2], abs=0.1)
    corners = vertices(root.find(f".//{NS}path[@data-series='s']").get("d"))
    assert corners[0][0] == pytest.approx(xs[0], abs=0.1)  # the line starts at its first value
    assert corners[-1][0] == pytest.approx(right, abs=0.1)  # and holds until the end


def test_y_decreases_with_value_on_the_drawn_scale():
    root = svg(line_chart([SERIES], title="t"))
    y = y_scale(root)
    _, top, _, bottom = plot_box(root)
    ticks = [int(t.get("data-value")) for t in root.iter(NS + "text") if t.get("data-value")]
    assert (y(ticks[0]), y(ticks[-1])) == pytest.approx((bottom, top), abs=0.15)
    drawn = points(root)
    for e in drawn:
        assert centre(e)[1] == pytest.approx(y(int(e.get("data-value"))), abs=0.15)
    line = [e for e in drawn if "data-reverted" not in e.attrib]
    ys = [centre(e)[1] for e in sorted(line, key=lambda e: int(e.get("data-value")))]
    assert ys == sorted(ys, reverse=True)


def test_the_line_is_a_step_function_of_the_non_reverted_values():
    root = svg(line_chart([SERIES], title="t"))
    _, _, right, _ = plot_box(root)
    y = y_scale(root)
    line = [e for e in points(root) if "data-reverted" not in e.attrib]
    expected = []
    for i, e in enumerate(line):
        x, v = centre(e)[0], int(e.get("data-value"))
        expected += [(x, y(v))] if i == 0 else [(x, expected[-1][1]), (x, y(v))]
    if expected[-1][0] < right - 0.05:
        expected.append((right, expected[-1][1]))
    corners = vertices(root.find(f".//{NS}path[@class='series']").get("d"))
    assert corners == [pytest.approx(c, abs=0.15) for c in expected]


def test_reverted_values_are_marked_on_the_scale_but_not_in_the_line():
    root = svg(line_chart([SERIES], title="t"))
    (mark,) = [e for e in points(root) if e.get("data-reverted") == "true"]
    assert mark.tag == NS + "path" and mark.get("data-value") == "5000"
    assert mark.get("stroke") == "#c00000"
    _, top, _, bottom = plot_box(root)
    x, y = centre(mark)
    assert top <= y <= bottom
    corners = vertices(root.find(f".//{NS}path[@class='series']").get("d"))
    assert all(abs(cy - y) > 1 for _, cy in corners)
    assert all(abs(cx - x) > 1 for cx, _ in corners)  # no step at the reverted time either
    y_of = y_scale(root)
    assert {round(cy, 1) for _, cy in corners} == {round(y_of(v), 1) for v in (100, 220, 14_200)}


def test_a_value_set_before_start_is_held_from_the_left_edge_and_outside_points_are_dropped():
    series = Series(
        "s",
        (
            pt("2024-11-01T00:00:00Z", 40),
            pt("2024-11-20T00:00:00Z", 9_999, reverted=True),
            pt("2024-12-03T00:00:00Z", 60),
            pt("2024-12-20T00:00:00Z", 80),
        ),
    )
    root = svg(
        line_chart([series], title="t", start="2024-12-01T00:00:00Z", end="2024-12-05T00:00:00Z")
    )
    left, _, right, _ = plot_box(root)
    assert [e.get("data-value") for e in points(root)] == ["60"]
    y = y_scale(root)
    corners = vertices(root.find(f".//{NS}path[@data-series='s']").get("d"))
    assert corners[0] == pytest.approx((left, y(40)), abs=0.15)
    assert corners[-1] == pytest.approx((right, y(60)), abs=0.15)
    assert int(root.find(f".//{NS}g[@class='y-axis']/{NS}text[last()]").get("data-value")) < 9_999


# -- ticks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "wanted", "unwanted"),
    [
        ("2024-12-01T00:00:00Z", "2024-12-11T00:00:00Z", ["2024-12-03", "2024-12-09"], []),
        ("2024-12-04T06:00:00Z", "2024-12-05T06:00:00Z", ["2024-12-05", "12:00"], ["2024-12-06"]),
        ("2024-01-10T00:00:00Z", "2024-12-20T00:00:00Z", ["2024-03", "2024-09"], ["2024-01"]),
        ("2004-05-01T00:00:00Z", "2024-12-31T00:00:00Z", ["2010", "2020"], ["2004"]),
        ("2024-10-01T00:00:00Z", "2024-11-20T00:00:00Z", ["2024-10-07", "2024-11-04"], []),
    ],
)
def test_date_ticks_are_round_utc_times_at_their_place(start, end, wanted, unwanted):
    series = Series("s", (pt(start, 1), pt(end, 2)))
    root = svg(line_chart([series], title="t"))
    left, _, right, _ = plot_box(root)
    labels = root.findall(f".//{NS}g[@class='x-axis']/{NS}text")
    texts = [t.text for t in labels]
    assert set(wanted) <= set(texts) and not set(unwanted) & set(texts)
    t0, t1 = (datetime.datetime.fromisoformat(t).timestamp() for t in (start, end))
    grid = vertices(root.find(f".//{NS}g[@class='x-axis']/{NS}path").get("d"))
    grid_x = [x for x, _ in grid[::2]]
    assert len(grid_x) >= 2
    assert all(b - a >= 40 for a, b in zip(grid_x, grid_x[1:], strict=False))  # room for labels
    for label, x in zip(labels, grid_x, strict=True):
        time = datetime.datetime.fromisoformat(label.get("data-time"))
        assert label.text in time.strftime("%Y-%m-%d %H:%M")
        assert x == pytest.approx(
            left + (time.timestamp() - t0) / (t1 - t0) * (right - left), abs=0.1
        )


def test_number_ticks_are_round_with_thousands_separators():
    series = Series("s", (pt("2024-12-01T00:00:00Z", 0), pt("2024-12-02T00:00:00Z", 14_200)))
    root = svg(line_chart([series], title="t"))
    labels = root.findall(f".//{NS}g[@class='y-axis']/{NS}text")
    assert [t.text for t in labels] == ["0", "5,000", "10,000", "15,000"]
    assert [int(t.get("data-value")) for t in labels] == [0, 5000, 10000, 15000]


def test_number_ticks_do_not_start_at_zero_when_values_vary_far_above_it():
    series = Series("s", (pt("2024-12-01T00:00:00Z", 14_200), pt("2024-12-02T00:00:00Z", 14_350)))
    labels = svg(line_chart([series], title="t")).findall(f".//{NS}g[@class='y-axis']/{NS}text")
    assert [t.text for t in labels] == ["14,200", "14,250", "14,300", "14,350"]


# -- series styles ----------------------------------------------------------------------------


def test_series_differ_by_colour_and_dash_and_are_all_in_the_legend():
    many = [
        Series(f"side {i}", (pt("2024-12-01T00:00:00Z", i), pt("2024-12-09T00:00:00Z", i + 5)))
        for i in range(8)
    ]
    root = svg(line_chart(many, title="t"))
    paths = root.findall(f".//{NS}path[@class='series']")
    assert [p.get("data-series") for p in paths] == [s.name for s in many]
    styles = [(p.get("stroke"), p.get("stroke-dasharray")) for p in paths]
    assert len(set(styles)) == 8
    dashes = [dash for _, dash in styles]
    assert all(a != b for a, b in zip(dashes, dashes[1:], strict=False))
    legend = [t.text for t in root.find(f".//{NS}g[@class='legend']").iter(NS + "text")]
    assert legend == [s.name for s in many]
    groups = root.findall(f".//{NS}g[@class='points']")
    assert [len(points(g)) for g in groups] == [2] * 8


# -- escaping and links -----------------------------------------------------------------------


def _assert_inert(markup: Markup) -> ET.Element:
    text = str(markup)
    assert "<script" not in text and "<img" not in text
    root = svg(markup)
    for e in root.iter():
        assert e.tag.startswith(NS) and e.tag[len(NS) :] not in {"script", "img", "foreignObject"}
        assert not [name for name in e.attrib if name.lower().startswith("on")]
    return root


def test_malicious_title_names_and_labels_render_as_text():
    series = Series(
        IMG,
        (
            pt("2024-12-01T00:00:00Z", 1, label=SCRIPT),
            pt("2024-12-02T00:00:00Z", 2, label=Markup(SCRIPT), reverted=True),
            pt("2024-12-03T00:00:00Z", 3, label="a\x00b\x1b</title><script>x</script>"),
        ),
    )
    root = _assert_inert(line_chart([series], title=SCRIPT))
    assert root[0].text == SCRIPT
    assert root.find(f".//{NS}path[@class='series']").get("data-series") == IMG
    titles = [e.find(NS + "title").text for e in points(root)]
    assert titles == [SCRIPT, SCRIPT + " (reverted)", "ab</title><script>x</script>"]
    assert IMG in [t.text for t in root.iter(NS + "text")]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "\\\\evil.example/x",
        "/\\evil.example/x",
        "Talk:Page",
        "",
        None,
    ],
)
def test_unsafe_links_are_dropped_but_the_point_stays(href):
    series = Series("s", (pt("2024-12-01T00:00:00Z", 1, href=href), pt("2024-12-02T00:00:00Z", 2)))
    root = _assert_inert(line_chart([series], title="t"))
    assert root.find(f".//{NS}a") is None
    assert len(points(root)) == 2


@pytest.mark.parametrize(
    "href",
    [
        "https://en.wikipedia.org/w/index.php?diff=2&oldid=1",
        "HTTP://ar.wikipedia.org/wiki/%D8%A7",
        "/wiki/Syrian_civil_war",
        "../diff/123.html",
        "index.php?title=Talk:Page&diff=5",
        "#casualties1",
        'x.html?a="><img src=x onerror=alert(1)>',
    ],
)
def test_http_and_relative_links_are_kept_verbatim(href):
    series = Series("s", (pt("2024-12-01T00:00:00Z", 1, href=href),))
    root = _assert_inert(line_chart([series], title="t"))
    assert [a.get("href") for a in root.iter(NS + "a")] == [href]


def test_presence_and_sparkline_escape_their_text():
    root = _assert_inert(
        presence_chart(
            [(IMG, [("2024-12-01T00:00:00Z", None)]), (SCRIPT, [])],
            start="2024-12-01T00:00:00Z",
            end="2024-12-05T00:00:00Z",
        )
    )
    assert [g.get("data-item") for g in root.iter(NS + "g") if g.get("class") == "row"] == [
        IMG,
        SCRIPT,
    ]
    assert root.find(f".//{NS}rect[@class='bar']").get("data-item") == IMG
    assert svg(sparkline([1, 2], label=SCRIPT))[0].text == SCRIPT
    _assert_inert(sparkline([1, 2], label=IMG))


# -- edge cases -------------------------------------------------------------------------------


def test_no_series_or_no_points_is_a_small_svg_saying_no_data():
    for chart in (
        line_chart([], title="Nothing <yet>"),
        line_chart([Series("s", ())], title="Nothing <yet>"),
        presence_chart([], start="2024-12-01T00:00:00Z", end="2024-12-02T00:00:00Z"),
    ):
        root = svg(chart)
        assert float(root.get("height")) <= 60
        assert "no data" in [t.text for t in root.iter(NS + "text")]
        assert points(root) == []
    assert svg(line_chart([], title="Nothing <yet>"))[0].text == "Nothing <yet>"


def test_one_point_sits_inside_the_plot_with_a_line_to_the_right_edge():
    root = svg(line_chart([Series("s", (pt("2024-12-04T09:45:00Z", 220),))], title="t"))
    left, top, right, bottom = plot_box(root)
    ((x, y),) = [centre(e) for e in points(root)]
    assert left < x < right and top <= y <= bottom
    corners = vertices(root.find(f".//{NS}path[@class='series']").get("d"))
    assert corners == [pytest.approx((x, y)), pytest.approx((right, y))]
    assert "2024-12-04" in [t.text for t in root.iter(NS + "text")]


@pytest.mark.parametrize("value", [0, 7, 220, 10**12])
def test_all_equal_values_get_a_zero_based_scale_that_contains_them(value):
    series = Series("s", tuple(pt(f"2024-12-0{d}T00:00:00Z", value) for d in (1, 2, 3)))
    root = svg(line_chart([series], title="t"))
    ticks = [int(t.get("data-value")) for t in root.iter(NS + "text") if t.get("data-value")]
    assert 4 <= len(ticks) <= 6 and ticks[0] == 0 and ticks[-1] >= value
    if value:
        assert ticks[-1] <= 2 * value or ticks[-1] <= 4
    _, top, _, bottom = plot_box(root)
    ys = [centre(e)[1] for e in points(root)]
    assert ys == [pytest.approx(y_scale(root)(value), abs=0.15)] * 3
    corners = vertices(root.find(f".//{NS}path[@class='series']").get("d"))
    assert len(corners) == 2  # one flat segment
    assert all(top <= y <= bottom for _, y in corners)


def test_huge_values_get_separated_labels():
    series = Series("s", (pt("2024-12-01T00:00:00Z", 3), pt("2024-12-02T00:00:00Z", 10**12)))
    root = svg(line_chart([series], title="t"))
    labels = [t.text for t in root.find(f".//{NS}g[@class='y-axis']").iter(NS + "text")]
    assert labels[-1] == "1,000,000,000,000" and labels[0] == "0"
    left, _, _, _ = plot_box(svg(line_chart([series], title="t", width=300)))
    assert left >= len(labels[-1]) * 6  # room for the widest number left of the plot


def test_identical_timestamps_draw_both_points_and_a_vertical_step():
    series = Series(
        "s",
        (
            pt("2024-12-01T00:00:00Z", 10),
            pt("2024-12-02T00:00:00Z", 20),
            pt("2024-12-02T00:00:00Z", 30),
            pt("2024-12-03T00:00:00Z", 30),
        ),
    )
    root = svg(line_chart([series], title="t"))
    drawn = [centre(e) for e in points(root)]
    assert len(drawn) == 4 and drawn[1][0] == drawn[2][0]
    y = y_scale(root)
    corners = vertices(root.find(f".//{NS}path[@class='series']").get("d"))
    assert (drawn[1][0], pytest.approx(y(30), abs=0.15)) in corners


def test_a_series_of_only_reverted_values_has_marks_but_no_line():
    series = Series(
        "s",
        (
            pt("2024-12-01T00:00:00Z", 10, reverted=True),
            pt("2024-12-02T00:00:00Z", 20, reverted=True),
        ),
    )
    root = svg(line_chart([series], title="t"))
    assert root.find(f".//{NS}path[@class='series']") is None
    assert [e.get("data-reverted") for e in points(root)] == ["true", "true"]


# -- determinism, ids, size -------------------------------------------------------------------


def test_output_is_deterministic_and_ids_differ_between_charts():
    a = line_chart([SERIES], title="Killed")
    assert a == line_chart([SERIES], title="Killed")
    b = line_chart([SERIES], title="Wounded")
    c = sparkline([1, 2, 3], label="edits")
    d = presence_chart([("x", [])], start="2024-12-01T00:00:00Z", end="2024-12-02T00:00:00Z")
    page = ET.fromstring(f"<div>{a}{b}{c}{d}</div>")
    ids = [e.get("id") for e in page.iter() if e.get("id")]
    assert len(ids) == 8 and len(set(ids)) == 8


def test_500_points_stay_compact():
    """The markup around each point stays small: the bulk is the point's own link and label."""
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    pts = []
    for i in range(500):
        t = start + datetime.timedelta(hours=7 * i)
        value = 1000 + 37 * i
        href = f"https://en.wikipedia.org/w/index.php?diff={1_260_000_000 + i}"
        label = f"{value:,} killed — Goddard{i}, {t:%Y-%m-%d %H:%M} UTC"
        pts.append(Point(iso(t), value, href, label, reverted=i % 50 == 0))
    chart = str(line_chart([Series("Syrian Arab Republic · killed", tuple(pts))], title="t"))
    size = len(chart.encode())
    own_text = sum(len(f"{p.href}{p.label}{p.time}{p.value}".encode()) for p in pts)
    assert (size - own_text) / 500 < 120  # markup bytes per point, beyond its own text
    assert size < 125_000
    assert not re.search(r"\d\.\d\d", chart)  # at most one decimal
    assert not re.search(r">\s+<", chart)
    assert len(points(svg(Markup(chart)))) == 500


# -- sparkline --------------------------------------------------------------------------------


def test_sparkline_bars_are_proportional_and_zeros_sit_on_the_baseline():
    counts = [0, 3, 12, 6, 0, 1]
    root = svg(sparkline(counts, label="Edits per day, last 30 days"))
    assert root.get("role") == "img" and root[0].text == "Edits per day, last 30 days"
    bars = root.findall(f".//{NS}rect[@class='bar']")
    assert [int(b.get("data-value")) for b in bars] == counts
    heights = [float(b.get("height")) for b in bars]
    assert heights == [pytest.approx(c / 12 * heights[2], abs=0.1) for c in counts]
    assert heights[2] >= 20
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1
    xs = [float(b.get("x")) for b in bars]
    assert xs == sorted(xs) and xs[-1] + float(bars[-1].get("width")) <= 120
    baseline = root.find(f"{NS}path")
    assert baseline is not None and baseline.get("d").startswith("M0 ")


@pytest.mark.parametrize("counts", [[], [0, 0, 0], [10**12, 1]])
def test_sparkline_edge_cases(counts):
    root = svg(sparkline(counts, label="x", width=60, height=20))
    bars = root.findall(f".//{NS}rect[@class='bar']")
    assert len(bars) == len(counts)
    assert all(0 <= float(b.get("height")) <= 20 for b in bars)


# -- presence chart ---------------------------------------------------------------------------


def test_presence_bars_match_intervals_on_the_date_axis():
    rows = [
        (
            "Hezbollah",
            [("2024-12-01T00:00:00Z", "2024-12-03T00:00:00Z"), ("2024-12-04T00:00:00Z", None)],
        ),
        ("Russia", [("2024-11-01T00:00:00Z", "2024-12-02T00:00:00Z")]),
        ("Gone", [("2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z")]),  # [from, to) before start
    ]
    root = svg(presence_chart(rows, start="2024-12-01T00:00:00Z", end="2024-12-05T00:00:00Z"))
    left, top, right, bottom = plot_box(root)
    day = (right - left) / 4
    rowg = [g for g in root.iter(NS + "g") if g.get("class") == "row"]
    assert [g.get("data-item") for g in rowg] == ["Hezbollah", "Russia", "Gone"]
    bars = [[(float(r.get("x")), float(r.get("width"))) for r in g.iter(NS + "rect")] for g in rowg]
    assert bars[0] == [
        pytest.approx((left, 2 * day), abs=0.1),
        pytest.approx((left + 3 * day, day), abs=0.1),
    ]
    assert bars[1] == [pytest.approx((left, day), abs=0.1)]
    assert bars[2] == []
    first = rowg[0].find(f".//{NS}rect")
    assert (first.get("data-item"), first.get("data-from"), first.get("data-to")) == (
        "Hezbollah",
        "2024-12-01T00:00:00Z",
        "2024-12-03T00:00:00Z",
    )
    assert rowg[0].findall(f"{NS}g/{NS}rect")[1].get("data-to") == ""
    assert "still present" in rowg[0].findall(f"{NS}g/{NS}rect")[1].find(NS + "title").text
    ys = [float(g.find(f".//{NS}text").get("y")) for g in rowg]
    assert ys == sorted(ys) and top < ys[0] and ys[-1] < bottom
    assert "2024-12-03" in [t.text for t in root.iter(NS + "text")]


def test_presence_labels_keep_right_to_left_text_in_its_own_direction():
    rows = [(ARABIC, []), (HEBREW + " (IDF)", []), ("Hezbollah (حزب الله)", []), ("Russia", [])]
    root = svg(presence_chart(rows, start="2024-12-01T00:00:00Z", end="2024-12-05T00:00:00Z"))
    texts = [g.find(f"{NS}text") for g in root.iter(NS + "g") if g.get("class") == "row"]
    assert [t.text for t in texts] == [label for label, _ in rows]
    assert [t.get("direction") for t in texts] == ["rtl", "rtl", None, None]
    assert {t.get("unicode-bidi") for t in texts[:2]} == {"embed"}
    # all right-aligned at the same x: "start" of right-to-left text is its right end
    assert [t.get("text-anchor") for t in texts] == ["start", "start", "end", "end"]
    assert len({t.get("x") for t in texts}) == 1


def test_presence_long_labels_are_cut_with_the_full_label_as_tooltip():
    label = "A belligerent with a very long name " * 5
    root = svg(
        presence_chart(
            [(label, [])], start="2024-12-01T00:00:00Z", end="2024-12-02T00:00:00Z", width=400
        )
    )
    text = root.find(f".//{NS}g[@class='row']/{NS}text")
    assert text.text.endswith("…") and len(text.text) < len(label)
    assert text.find(NS + "title").text == label
    assert float(root.find(f".//{NS}rect[@class='plot-area']").get("x")) <= 400 * 0.4 + 14


def test_legend_names_keep_right_to_left_text_in_its_own_direction():
    series = Series(ARABIC + " · killed", (pt("2024-12-01T00:00:00Z", 3),))
    root = svg(line_chart([series], title="t"))
    (text,) = root.find(f".//{NS}g[@class='legend']").iter(NS + "text")
    assert (text.text, text.get("direction")) == (ARABIC + " · killed", "rtl")


# -- property ---------------------------------------------------------------------------------

EPOCH = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
point_st = st.builds(
    lambda minutes, value, reverted: pt(
        iso(EPOCH + datetime.timedelta(minutes=minutes)), value, reverted=reverted
    ),
    st.integers(0, 3 * 366 * 24 * 60),
    st.integers(0, 10**13),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(point_st, min_size=1, max_size=12), min_size=1, max_size=3))
def test_every_point_lies_inside_the_plot_and_every_value_on_the_scale(groups):
    series = [Series(f"s{i}", tuple(sorted(g, key=lambda p: p.time))) for i, g in enumerate(groups)]
    root = svg(line_chart(series, title="t"))
    left, top, right, bottom = plot_box(root)
    drawn = points(root)
    assert len(drawn) == sum(len(s.points) for s in series)
    for e in drawn:
        x, y = centre(e)
        assert left - 0.1 <= x <= right + 0.1 and top - 0.1 <= y <= bottom + 0.1
    ticks = [
        int(t.get("data-value")) for t in root.find(f".//{NS}g[@class='y-axis']").iter(NS + "text")
    ]
    assert (
        4 <= len(ticks) <= 6 and len({b - a for a, b in zip(ticks, ticks[1:], strict=False)}) == 1
    )
    # the scale covers the real values; reverted ones only when there is nothing else
    kept = [p.value for s in series for p in s.points if not p.reverted]
    values = kept or [p.value for s in series for p in s.points]
    assert ticks[0] <= min(values) and max(values) <= ticks[-1]
    for e in drawn:
        value = int(e.get("data-value"))
        assert (e.get("data-clipped") == "true") == (not ticks[0] <= value <= ticks[-1])
    for path in root.findall(f".//{NS}path[@class='series']"):
        for x, y in vertices(path.get("d")):
            assert left - 0.1 <= x <= right + 0.1 and top - 0.1 <= y <= bottom + 0.1


def test_a_vandal_value_does_not_set_the_scale_and_is_drawn_at_the_edge() -> None:
    series = [
        Series(
            "Syria · killed",
            (
                pt("2024-11-27T18:12:00Z", 142),
                pt("2024-11-27T19:01:00Z", 14200, reverted=True),
                pt("2024-12-04T09:45:00Z", 220),
            ),
        )
    ]
    root = svg(line_chart(series, title="casualties2"))
    ticks = [int(t.get("data-value")) for t in root.iter(NS + "text") if t.get("data-value")]
    assert max(ticks) < 14200 and max(ticks) >= 220
    (vandal,) = [e for e in points(root) if e.get("data-reverted") == "true"]
    assert vandal.get("data-value") == "14200" and vandal.get("data-clipped") == "true"
    assert abs(centre(vandal)[1] - plot_box(root)[1]) < 0.2  # at the top edge
