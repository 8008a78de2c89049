// Runs side by side: parameters and metrics, differences highlighted, charts per metric.
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { badge, value } from "../format.js";
import { barChart, fmt, lineChart } from "../charts.js";
import { query } from "../router.js";

export async function comparePage(main) {
  const ids = (query().runs || "").split(",").filter(Boolean);
  if (ids.length < 2) {
    replace(
      main,
      h("h1", {}, "Compare runs"),
      h("p", { class: "empty" }, "Pick two or more runs on the ", h("a", { href: "/runs" }, "Runs"), " page, then “Compare selected”."),
    );
    return;
  }
  const runs = await Promise.all(
    ids.map(async (id) => {
      const [run, artifacts] = await Promise.all([get(`/runs/${id}`, { view: "BASIC" }), get(`/runs/${id}/artifacts`)]);
      return { run, artifacts: artifacts.artifacts || [] };
    }),
  );
  const names = runs.map(({ run }) => run.display_name || run.run_id.slice(0, 8));
  const params = runs.map(({ run }) => run.runtime_config?.parameters || {});
  const metrics = runs.map(({ artifacts }) => metricValues(artifacts));
  const rocs = runs.map(({ artifacts }) =>
    artifacts.find((a) => a.type === "system.ClassificationMetrics" && a.metadata.confidenceMetrics?.length),
  );
  const metricKeys = [...new Set(metrics.flatMap((m) => Object.keys(m)))].sort();
  const charts = metricKeys
    .filter((k) => metrics.some((m) => typeof m[k] === "number"))
    .map((k) => barChart(k, metrics.map((m, i) => ({ name: names[i], value: m[k] ?? 0 }))));
  const rocSeries = rocs
    .map((a, i) => a && { name: names[i], points: a.metadata.confidenceMetrics.map((p) => [p.falsePositiveRate ?? 0, p.recall ?? 0]) })
    .filter(Boolean);
  replace(
    main,
    h("h1", {}, "Compare runs"),
    h(
      "table",
      { class: "grid compare" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, ""), runs.map(({ run }, i) => h("th", { scope: "col" }, h("a", { href: `/runs/${run.run_id}` }, names[i])))),
        h("tr", {}, h("th", { scope: "row" }, "State"), runs.map(({ run }) => h("td", {}, badge(run.state)))),
      ),
      section("Parameters", [...new Set(params.flatMap((p) => Object.keys(p)))].sort(), params, value),
      section("Metrics", metricKeys, metrics, fmt),
    ),
    h("p", { class: "muted" }, "Rows whose values differ are highlighted."),
    charts.length || rocSeries.length ? h("h2", {}, "Charts") : null,
    h(
      "div",
      { class: "charts" },
      rocSeries.length ? lineChart(rocSeries, { title: "ROC curves", xLabel: "False positive rate", yLabel: "True positive rate" }) : null,
      charts,
    ),
  );
}

/** Every number and string a run's Metrics outputs logged, keyed "output.metric". */
function metricValues(artifacts) {
  const values = {};
  for (const a of artifacts) {
    if (a.type !== "system.Metrics") continue;
    for (const [k, v] of Object.entries(a.metadata || {})) {
      if (k !== "display_name") values[`${a.key}.${k}`] ??= v;
    }
  }
  return values;
}

function section(title, keys, columns, show) {
  return h(
    "tbody",
    {},
    h("tr", { class: "section" }, h("th", { colspan: columns.length + 1, scope: "rowgroup" }, title)),
    keys.length
      ? keys.map((key) => {
          const cells = columns.map((c) => (key in c ? show(c[key]) : "—"));
          const differs = new Set(cells).size > 1;
          return h("tr", { class: differs ? "differs" : "" }, h("th", { scope: "row" }, key), cells.map((c) => h("td", {}, c)));
        })
      : h("tr", {}, h("td", { colspan: columns.length + 1, class: "empty" }, `No ${title.toLowerCase()}.`)),
  );
}
