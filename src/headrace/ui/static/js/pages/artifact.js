// One artifact: its preview by type, metadata, download link, and lineage.
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { bytes, value, when } from "../format.js";
import { contentUrl, preview } from "../artifacts/preview.js";

export async function artifactPage(main, { artifact_id: artifactId }) {
  const info = await get(`/artifacts/${artifactId}`);
  const body = h("div", { class: "preview" }, h("p", { class: "muted" }, "Loading preview…"));
  const producer = info.producer;
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, info.name, " ", h("span", { class: "muted" }, info.type)),
      h(
        "div",
        { class: "actions" },
        // Metadata-only artifacts (metrics) have no bytes; directories are listed in the preview.
        info.is_dir === false ? h("a", { class: "button", href: contentUrl(info), download: "" }, "Download") : null,
      ),
    ),
    h(
      "dl",
      { class: "facts inline" },
      fact("URI", h("code", {}, info.uri)),
      fact("Size", bytes(info.size_bytes)),
      fact("Created", when(info.created_at)),
      fact(
        "Produced by",
        producer
          ? h("a", { href: `/runs/${producer.run_id}?task=${producer.task_id}` }, `${producer.task_name} → ${producer.output_key}`)
          : "imported",
      ),
    ),
    h("h2", {}, "Preview"),
    body,
    h("h2", {}, "Consumed by"),
    info.consumers?.length
      ? h(
          "ul",
          {},
          info.consumers.map((c) =>
            h("li", {}, h("a", { href: `/runs/${c.run_id}?task=${c.task_id}` }, `${c.task_name} ← ${c.input_key}`)),
          ),
        )
      : h("p", { class: "empty" }, "No task has consumed it."),
    h(
      "details",
      {},
      h("summary", {}, "Metadata"),
      h("pre", {}, value(info.metadata)),
    ),
  );
  try {
    replace(body, await preview(info));
  } catch (error) {
    replace(body, h("div", { class: "error", role: "alert" }, `No preview: ${error.message}`));
  }
}

function fact(label, content) {
  return [h("dt", {}, label), h("dd", {}, content)];
}
