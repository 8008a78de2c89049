// An artifact shown by its type: metrics from its metadata, files from its bytes.
import { apiUrl, raw } from "../api.js";
import { h } from "../dom.js";
import { barChart, fmt, lineChart } from "../charts.js";
import { markdown } from "./markdown.js";
import { delimitedTable, parseDelimited } from "./table.js";

const HEAD_BYTES = 64 * 1024;
const IMAGE = /\.(png|jpe?g|gif|svg|webp)$/i;
const TEXT = /\.(txt|log|csv|tsv|json|ya?ml|md|py)$/i;

/** A small preview inside the task panel: metrics only (they need no bytes). */
export function inlinePreview(artifact) {
  if (artifact.type === "system.Metrics") return metricsTable(artifact.metadata);
  if (artifact.type === "system.ClassificationMetrics" && artifact.metadata.confusionMatrix)
    return confusionMatrix(artifact.metadata.confusionMatrix);
  return null;
}

/** The full preview on the artifact's page. `info` is GET /artifacts/{id}. */
export async function preview(info) {
  const meta = info.metadata || {};
  switch (info.type) {
    case "system.Metrics":
      return h("div", {}, metricsTable(meta), metricBars(meta));
    case "system.ClassificationMetrics":
      return classification(meta);
    case "system.SlicedClassificationMetrics":
      return h(
        "div",
        {},
        (meta.evaluationSlices || []).map((slice) =>
          h("section", {}, h("h3", {}, `Slice: ${slice.slice}`), classification(slice.sliceClassificationMetrics || {})),
        ),
      );
    case "system.HTML":
      return html(info);
    case "system.Markdown":
      return markdownFile(info);
    default:
      return fileHead(info);
  }
}

export function contentUrl(info, query = {}) {
  return apiUrl(`/artifacts/${info.artifact_id}/content`, query);
}

function metricsTable(meta) {
  const entries = Object.entries(meta || {}).filter(([k]) => k !== "display_name");
  if (!entries.length) return h("p", { class: "empty" }, "No metrics logged.");
  return h(
    "table",
    { class: "grid kv metrics" },
    h("tbody", {}, entries.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, fmt(v))))),
  );
}

function metricBars(meta) {
  const numbers = Object.entries(meta).filter(([, v]) => typeof v === "number");
  return numbers.length > 1 ? barChart("Metrics", numbers.map(([name, value]) => ({ name, value }))) : null;
}

function classification(meta) {
  const parts = [];
  if (meta.confusionMatrix) parts.push(h("h3", {}, "Confusion matrix"), confusionMatrix(meta.confusionMatrix));
  if (meta.confidenceMetrics?.length) parts.push(rocCurve(meta.confidenceMetrics));
  return parts.length ? h("div", { class: "classification" }, parts) : h("p", { class: "empty" }, "Nothing logged.");
}

function rocCurve(points) {
  return lineChart([{ name: "ROC", points: points.map((p) => [p.falsePositiveRate ?? 0, p.recall ?? 0]) }], {
    title: "ROC curve",
    xLabel: "False positive rate",
    yLabel: "True positive rate",
  });
}

function confusionMatrix(matrix) {
  const labels = (matrix.annotationSpecs || []).map((a) => a.displayName);
  const rows = (matrix.rows || []).map((r) => r.row || []);
  const max = Math.max(1, ...rows.flat());
  return h(
    "table",
    { class: "grid confusion" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", { scope: "col" }, "actual \\ predicted"), labels.map((l) => h("th", { scope: "col" }, l))),
    ),
    h(
      "tbody",
      {},
      rows.map((row, i) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, labels[i] ?? i),
          row.map((n) => h("td", { style: `--heat:${(n / max).toFixed(2)}` }, n)),
        ),
      ),
    ),
  );
}

async function fetchHead(info, query = {}) {
  const response = await raw(`/artifacts/${info.artifact_id}/content`, { max_bytes: HEAD_BYTES, ...query });
  return { text: await response.text(), truncated: response.headers.get("X-Headrace-Truncated") === "true" };
}

async function markdownFile(info) {
  if (info.is_dir) return fileList(info);
  const { text, truncated } = await fetchHead(info);
  return h("div", {}, markdown(text), truncated ? h("p", { class: "muted" }, "(first 64 KiB shown)") : null);
}

async function html(info) {
  if (info.is_dir) return fileList(info);
  const { text } = await fetchHead(info);
  // sandbox="": no scripts, no forms, no same-origin access to the API.
  return h("iframe", { class: "html-preview", sandbox: "", srcdoc: text, title: `${info.name} (sandboxed)` });
}

async function fileHead(info) {
  if (info.is_dir) return fileList(info);
  const name = new URL(info.uri, "file:///").pathname;
  if (IMAGE.test(name) || IMAGE.test(info.name)) {
    return h("img", { class: "artifact-image", src: contentUrl(info), alt: info.name });
  }
  const { text, truncated } = await fetchHead(info, { max_bytes: 8192 });
  if (!TEXT.test(name) && /[\u0000-\u0008]/.test(text.slice(0, 512))) {
    return h("p", { class: "muted" }, "Binary content: use the download link.");
  }
  const note = truncated ? h("p", { class: "muted" }, "(first 8 KiB shown)") : null;
  if (/\.(csv|tsv)$/i.test(name) || looksLikeCsv(text)) return h("div", {}, delimitedTable(text, /\.tsv$/i.test(name) ? "\t" : ","), note);
  if (/\.json$/i.test(name) && !truncated) {
    try {
      return h("pre", { class: "file-head" }, JSON.stringify(JSON.parse(text), null, 2));
    } catch {
      // not valid JSON after all: shown as it is below
    }
  }
  return h("div", {}, h("pre", { class: "file-head" }, text), note);
}

/** Datasets rarely have an extension: a few rows with the same number (2+) of fields are CSV. */
function looksLikeCsv(text) {
  const rows = parseDelimited(text, ",").slice(0, 5);
  return rows.length >= 2 && rows[0].length > 1 && rows.every((r) => r.length === rows[0].length);
}

async function fileList(info) {
  const response = await raw(`/artifacts/${info.artifact_id}/files`);
  const files = await response.json();
  return h(
    "ul",
    { class: "files" },
    files.map((f) =>
      h(
        "li",
        {},
        f.is_dir ? `${f.path}/` : h("a", { href: contentUrl(info, { path: f.path }), download: "" }, f.path),
        h("span", { class: "muted" }, f.is_dir ? "" : ` ${f.size_bytes} B`),
      ),
    ),
  );
}
