// The namespace the app works in: `?ns=` in the URL (so a shared link shows the same namespace),
// `default` when absent.

export const DEFAULT_NAMESPACE = "default";

export function currentNamespace() {
  return new URLSearchParams(location.search).get("ns") || DEFAULT_NAMESPACE;
}

/** `path` with the current namespace added, unless it names one or the namespace is `default`. */
export function withNamespace(path) {
  const ns = currentNamespace();
  if (ns === DEFAULT_NAMESPACE || !path.startsWith("/")) return path;
  const url = new URL(path, location.origin);
  if (url.searchParams.has("ns")) return path;
  url.searchParams.set("ns", ns);
  return `${url.pathname}${url.search}${url.hash}`;
}
