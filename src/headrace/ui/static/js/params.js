// Form fields generated from a pipeline's typed inputs, read back as typed parameter values.
import { h } from "./dom.js";

/** One labelled field per input; artifacts inputs are listed but cannot be given here. */
export function paramFields(inputs) {
  return inputs.map((input) => {
    const id = `param-${input.name}`;
    if (input.artifact) {
      return h("p", { class: "muted" }, `${input.name}: ${input.type} input artifact (not settable from a form)`);
    }
    let field;
    const def = input.default;
    if (input.type === "BOOLEAN") {
      field = h("select", { id, name: input.name }, ["true", "false"].map((v) => h("option", { value: v, selected: String(def) === v }, v)));
    } else if (input.type === "STRUCT" || input.type === "LIST") {
      field = h("textarea", { id, name: input.name, rows: 3, placeholder: input.type === "LIST" ? "[...]" : "{...}" }, def === undefined ? "" : JSON.stringify(def));
    } else {
      const numeric = input.type === "NUMBER_INTEGER" || input.type === "NUMBER_DOUBLE";
      field = h("input", {
        id,
        name: input.name,
        type: numeric ? "number" : "text",
        step: input.type === "NUMBER_DOUBLE" ? "any" : numeric ? "1" : undefined,
        value: def === undefined ? "" : String(def),
        required: !input.optional,
      });
    }
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, input.name, " ", h("span", { class: "muted" }, typeLabel(input.type)), input.optional ? "" : " *"),
      field,
      input.description ? h("small", {}, input.description) : null,
    );
  });
}

function typeLabel(type) {
  return { NUMBER_INTEGER: "int", NUMBER_DOUBLE: "float", BOOLEAN: "bool", STRING: "str", LIST: "list", STRUCT: "dict" }[type] || type;
}

/** The parameters the form holds, typed; throws an Error naming a malformed field. */
export function readParams(form, inputs) {
  const params = {};
  for (const input of inputs) {
    if (input.artifact) continue;
    const el = form.querySelector(`#${CSS.escape(`param-${input.name}`)}`);
    const text = el.value.trim();
    if (text === "") {
      if (!input.optional) throw new Error(`${input.name} is required`);
      continue;
    }
    if (input.type === "NUMBER_INTEGER") {
      if (!/^-?\d+$/.test(text)) throw new Error(`${input.name} must be an integer`);
      params[input.name] = Number(text);
    } else if (input.type === "NUMBER_DOUBLE") {
      if (Number.isNaN(Number(text))) throw new Error(`${input.name} must be a number`);
      params[input.name] = Number(text);
    } else if (input.type === "BOOLEAN") params[input.name] = text === "true";
    else if (input.type === "LIST" || input.type === "STRUCT") {
      try {
        params[input.name] = JSON.parse(text);
      } catch {
        throw new Error(`${input.name} must be JSON`);
      }
    } else params[input.name] = text;
  }
  return params;
}
