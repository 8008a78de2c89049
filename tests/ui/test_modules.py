"""The app's own JavaScript modules, run in Chromium: graph layout, Markdown, CSV, YAML."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page


def _run(page: Page, server: str, module: str, body: str) -> Any:
    """Import `module` in the page and return what `body` (given it as `m`) computes."""
    page.goto(f"{server}/pipelines")
    return page.evaluate(f"import('/static/js/{module}').then((m) => {{ {body} }})")


def test_layout_layers_by_longest_path_and_orders_to_avoid_crossings(
    page: Page, server: str
) -> None:
    # a -> c, b -> d, a -> e -> d: d sits below e (the longest path to it), not beside c.
    result = _run(
        page,
        server,
        "graph/layout.js",
        """
        const nodes = ["b", "a", "c", "d", "e"].map((id) => ({ id }));
        const edges = [["a", "c"], ["b", "d"], ["a", "e"], ["e", "d"]];
        const { pos } = m.layout(nodes, edges);
        return Object.fromEntries([...pos].map(([id, p]) => [id, [p.x, p.y]]));
        """,
    )
    rows = sorted({y for _, y in result.values()})
    layer = {node: rows.index(y) for node, (_, y) in result.items()}
    assert layer == {"a": 0, "b": 0, "c": 1, "e": 1, "d": 2}


def test_barycentre_ordering_uncrosses_edges(page: Page, server: str) -> None:
    # Given in the crossing order (d before c), the children end up under their parents.
    x = _run(
        page,
        server,
        "graph/layout.js",
        """
        const nodes = ["a", "b", "d", "c"].map((id) => ({ id }));
        const { pos } = m.layout(nodes, [["a", "c"], ["b", "d"]]);
        return Object.fromEntries([...pos].map(([id, p]) => [id, p.x]));
        """,
    )
    assert x["a"] < x["b"] and x["c"] < x["d"]


def test_layout_of_a_wide_fan_keeps_one_layer_per_depth(page: Page, server: str) -> None:
    depth = _run(
        page,
        server,
        "graph/layout.js",
        """
        const nodes = [{ id: "root" }, { id: "sink" }];
        const edges = [];
        for (let i = 0; i < 200; i++) {
          nodes.push({ id: `t${i}` });
          edges.push(["root", `t${i}`], [`t${i}`, "sink"]);
        }
        const { pos, height } = m.layout(nodes, edges);
        return [new Set([...pos.values()].map((p) => p.y)).size, height > 0];
        """,
    )
    assert depth == [3, True]


def test_layout_makes_room_for_a_node_open_in_place(page: Page, server: str) -> None:
    # "big" (a sub-DAG shown open, 400x200) widens its layer and pushes the next one down.
    result = _run(
        page,
        server,
        "graph/layout.js",
        """
        const nodes = ["a", "big", "c", "d"].map((id) => ({ id }));
        const sizes = new Map([["big", { w: 400, h: 200 }]]);
        const edges = [["a", "big"], ["a", "c"], ["big", "d"]];
        const { pos, width } = m.layout(nodes, edges, sizes);
        const big = pos.get("big"), c = pos.get("c"), d = pos.get("d");
        return [
          [big.w, big.h],
          c.y === big.y && width >= 400 + m.NODE_W,
          !(c.x < big.x + 400 && big.x < c.x + c.w),
          d.y >= big.y + 200,
        ];
        """,
    )
    # The same layer, side by side without overlapping; the next layer below the tall node.
    assert result == [[400, 200], True, True, True]


def test_markdown_renders_structure_and_never_markup_or_script_links(
    page: Page, server: str
) -> None:
    html = _run(
        page,
        server,
        "artifacts/markdown.js",
        """
        const text = "# T\\n\\n<img src=x onerror=alert(1)> **b** [ok](https://x.org) "
          + "[bad](javascript:alert(1))\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |"
          + "\\n\\n```\\n<b>\\n```";
        return m.markdown(text).innerHTML;
        """,
    )
    assert "<h1>T</h1>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert '<a href="https://x.org"' in html and "javascript:" not in html
    assert "<td>1</td>" in html and "<pre><code>&lt;b&gt;</code></pre>" in html


def test_csv_fields_with_quotes_and_commas(page: Page, server: str) -> None:
    rows = _run(
        page,
        server,
        "artifacts/table.js",
        'return m.parseDelimited(\'a,b\\n"x, ""y""",2\\r\\nlast,\', ",");',
    )
    assert rows == [["a", "b"], ['x, "y"', "2"], ["last", ""]]


def test_yaml_of_a_spec_like_document(page: Page, server: str) -> None:
    text = _run(
        page,
        server,
        "yaml.js",
        'return m.toYaml({a: {b: [1, {c: "x: y"}], d: []}, e: "true", f: null});',
    )
    assert text == 'a:\n  b:\n    - 1\n    - c: "x: y"\n  d: []\ne: "true"\nf: null'
