// The head of a CSV or TSV file as a table (quoted fields with commas and "" escapes understood).
import { h } from "../dom.js";

const MAX_ROWS = 50;

export function parseDelimited(text, delimiter) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < MAX_ROWS + 1; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

export function delimitedTable(text, delimiter) {
  const [head, ...rows] = parseDelimited(text, delimiter);
  if (!head) return h("p", { class: "empty" }, "Empty file.");
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "grid csv" },
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.slice(0, MAX_ROWS).map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
    ),
  );
}
