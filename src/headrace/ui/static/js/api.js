// The server's REST API: v2beta1 as Kubeflow defines it plus Headrace's additions.
import { currentNamespace } from "./namespace.js";

const BASE = "/apis/v2beta1";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function url(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  const text = params.toString();
  return `${BASE}${path}${text ? `?${text}` : ""}`;
}

// Lists and creations that take a namespace: they get the page's (`?ns=`) unless given one.
const NAMESPACE_QUERY = new Set(["GET /runs", "GET /experiments", "GET /pipelines", "GET /recurringruns", "POST /pipelines/upload"]);
const NAMESPACE_BODY = new Set(["POST /experiments", "POST /recurringruns"]);

async function send(method, path, { query, body, form, raw } = {}) {
  const call = `${method} ${path}`;
  if (NAMESPACE_QUERY.has(call) && !query?.namespace) query = { ...query, namespace: currentNamespace() };
  if (NAMESPACE_BODY.has(call) && body && !body.namespace) body = { ...body, namespace: currentNamespace() };
  const init = { method, headers: {} };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url(path, query), init);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const data = await response.json();
      message = data.message || data.error || message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  if (raw) return response;
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path, query) => send("GET", path, { query });
export const post = (path, body, query) => send("POST", path, { body, query });
export const del = (path, query) => send("DELETE", path, { query });
export const upload = (path, form, query) => send("POST", path, { form, query });
export const raw = (path, query) => send("GET", path, { query, raw: true });
export const apiUrl = url;

/** A v2beta1 filter from simple predicates: [[key, operation, value], ...]. */
export function filter(predicates) {
  const list = predicates
    .filter(([, , value]) => value !== undefined && value !== null && value !== "")
    .map(([key, operation, value]) => ({ key, operation, string_value: String(value) }));
  return list.length ? JSON.stringify({ predicates: list }) : undefined;
}

/** `link`, whose text becomes the display name of the resource at `path` once read. */
export function named(link, path) {
  get(path)
    .then((found) => {
      link.textContent = found.display_name;
    })
    .catch(() => {}); // the id it shows until then stays: a name is a nicety
  return link;
}
