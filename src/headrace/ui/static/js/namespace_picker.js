// The header's namespace picker: lists from the server, the choice kept in the URL (`?ns=`).
import { get } from "./api.js";
import { h, replace } from "./dom.js";
import { currentNamespace } from "./namespace.js";
import { navigate, onRender } from "./router.js";

const LISTS = ["runs", "pipelines", "experiments", "recurring"];

/** Draw the picker into `slot`; it follows the URL as pages change. */
export function namespacePicker(slot) {
  let known = [];
  const select = h("select", {
    id: "namespace",
    onchange: () => {
      // A page of one run or pipeline belongs to its namespace: go to the list of the same kind.
      const section = location.pathname.split("/")[1];
      const list = LISTS.includes(section) ? section : "runs";
      navigate(`/${list}?ns=${encodeURIComponent(select.value)}`);
    },
    // Namespaces made since the page loaded show up the next time the picker is used.
    onfocus: () => load(),
  });

  function fill(ns) {
    const names = [...new Set([...known, ns])].sort();
    replace(select, names.map((n) => h("option", { value: n, selected: n === ns }, n)));
    select.value = ns;
  }

  function load() {
    get("/namespaces")
      .then((found) => {
        known = found.namespaces || [];
        if (document.activeElement !== select) fill(currentNamespace());
        else if (known.some((n) => !select.querySelector(`option[value="${CSS.escape(n)}"]`))) fill(currentNamespace());
      })
      .catch(() => {}); // the current namespace stays listed: the picker is a convenience
  }

  fill(currentNamespace());
  load();
  onRender(fill);
  replace(slot, h("label", { for: "namespace" }, "Namespace"), select);
}
