// A small Markdown renderer that builds DOM nodes (never HTML strings), so it cannot inject markup.
import { h } from "../dom.js";

/** Block-level Markdown: headings, lists, code fences, quotes, tables, paragraphs. */
export function markdown(text) {
  const root = h("div", { class: "markdown" });
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const code = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
      root.append(h("pre", {}, h("code", {}, code.join("\n"))));
      i++;
    } else if (/^#{1,6}\s/.test(line)) {
      const level = line.match(/^#+/)[0].length;
      root.append(h(`h${level}`, {}, inline(line.slice(level).trim())));
      i++;
    } else if (/^\s*([-*+]|\d+\.)\s/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const list = h(ordered ? "ol" : "ul");
      for (; i < lines.length && /^\s*([-*+]|\d+\.)\s/.test(lines[i]); i++) {
        list.append(h("li", {}, inline(lines[i].replace(/^\s*([-*+]|\d+\.)\s/, ""))));
      }
      root.append(list);
    } else if (/^>/.test(line)) {
      const quote = [];
      for (; i < lines.length && /^>/.test(lines[i]); i++) quote.push(lines[i].replace(/^>\s?/, ""));
      root.append(h("blockquote", {}, inline(quote.join(" "))));
    } else if (/^\|/.test(line) && /^\|?\s*:?-+/.test(lines[i + 1] || "")) {
      const cells = (l) => l.replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
      const head = cells(line);
      const rows = [];
      for (i += 2; i < lines.length && /^\|/.test(lines[i]); i++) rows.push(cells(lines[i]));
      root.append(
        h(
          "table",
          { class: "grid" },
          h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, inline(c))))),
          h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, inline(c)))))),
        ),
      );
    } else if (/^(-{3,}|\*{3,})\s*$/.test(line)) {
      root.append(h("hr"));
      i++;
    } else if (!line.trim()) {
      i++;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() && !/^(#|```|>|\s*[-*+]\s|\|)/.test(lines[i]); i++) {
        para.push(lines[i]);
      }
      if (!para.length) para.push(lines[i++]);
      root.append(h("p", {}, inline(para.join(" "))));
    }
  }
  return root;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]+\]\([^)\s]+\))/;

/** Code, bold, italic and links; link targets only http(s), relative or anchors. */
function inline(text) {
  const out = [];
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, match.index));
    const token = match[0];
    if (match[1]) out.push(h("code", {}, token.slice(1, -1)));
    else if (match[2]) out.push(h("strong", {}, inline(token.slice(2, -2))));
    else if (match[3]) out.push(h("em", {}, inline(token.slice(1, -1))));
    else {
      const [, label, href] = token.match(/^\[([^\]]+)\]\(([^)\s]+)\)$/);
      const safe = /^(https?:\/\/|\/|#)/.test(href);
      out.push(safe ? h("a", { href, rel: "noopener noreferrer", target: "_blank" }, label) : label);
    }
    rest = rest.slice(match.index + token.length);
  }
  return out;
}
