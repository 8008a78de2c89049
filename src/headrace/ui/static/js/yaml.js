// JSON data written as YAML (block style), to show a pipeline spec the way `kfp` compiles it.

export function toYaml(data, indent = 0) {
  const pad = " ".repeat(indent);
  if (Array.isArray(data)) {
    if (!data.length) return "[]";
    return data
      .map((item) => {
        const text = toYaml(item, indent + 2);
        return isBlock(item) ? `${pad}- ${text.trimStart()}` : `${pad}- ${text}`;
      })
      .join("\n");
  }
  if (data && typeof data === "object") {
    const entries = Object.entries(data);
    if (!entries.length) return "{}";
    return entries
      .map(([key, v]) => {
        const k = scalar(key);
        return isBlock(v) ? `${pad}${k}:\n${toYaml(v, indent + 2)}` : `${pad}${k}: ${toYaml(v, indent + 2)}`;
      })
      .join("\n");
  }
  return scalar(data);
}

function isBlock(v) {
  return v && typeof v === "object" && Object.keys(v).length > 0;
}

function scalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v !== "string") return String(v);
  if (v.includes("\n")) return JSON.stringify(v);
  const plain = /^[A-Za-z0-9_./{}$-][A-Za-z0-9_ ./{}$()-]*$/.test(v) && !/^(true|false|null|yes|no|~|-?\d[\d.e+-]*)$/i.test(v) && !v.endsWith(" ");
  return plain ? v : JSON.stringify(v);
}
