// Client-side routes over the History API: every page has a URL the server answers with the app.
import { currentNamespace, withNamespace } from "./namespace.js";

const routes = [];
const onRenderHooks = [];

/** Call `fn(namespace)` before each page is drawn (the header's namespace picker). */
export function onRender(fn) {
  onRenderHooks.push(fn);
}
let current = { cleanup: [] };

export function route(pattern, render) {
  const names = [];
  const regex = new RegExp(
    `^${pattern.replace(/:([a-z_]+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    })}/?$`,
  );
  routes.push({ regex, names, render });
}

/** Run `fn` when the page is left (stop polling, close streams). */
export function onLeave(fn) {
  current.cleanup.push(fn);
}

/** Show `path`; resolves once the page is drawn. A new page (not `replace`) takes the keyboard
 * focus to its content, so Tab goes on from there rather than from the top of the document. */
export async function navigate(path, { replace = false } = {}) {
  path = withNamespace(path); // links inside the app keep the namespace picked
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  await render();
  if (!replace) document.getElementById("app").focus({ preventScroll: true });
}

export function query() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Change the page's query string without a new history entry, then draw again (resolves
 * once drawn). */
export function setQuery(changes) {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === "") params.delete(key);
    else params.set(key, value);
  }
  const text = params.toString();
  return navigate(`${location.pathname}${text ? `?${text}` : ""}`, { replace: true });
}

export async function render() {
  for (const fn of current.cleanup) fn();
  current = { cleanup: [] };
  const page = current;
  const path = location.pathname === "/" ? "/runs" : location.pathname;
  const main = document.getElementById("app");
  document.querySelectorAll("[data-nav]").forEach((a) => {
    a.toggleAttribute("aria-current", path.startsWith(`/${a.dataset.nav}`));
    a.setAttribute("href", withNamespace(`/${a.dataset.nav}`));
  });
  for (const fn of onRenderHooks) fn(currentNamespace());
  for (const { regex, names, render: draw } of routes) {
    const match = regex.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
    try {
      await draw(main, params, page);
    } catch (error) {
      if (page !== current) return;
      main.replaceChildren();
      const box = document.createElement("div");
      box.className = "error";
      box.setAttribute("role", "alert");
      box.textContent = error.message || String(error);
      main.append(box);
    }
    return;
  }
  main.textContent = `No page at ${path}.`;
}

export function start() {
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a");
    if (!a || a.target || a.hasAttribute("download") || event.ctrlKey || event.metaKey) return;
    const href = a.getAttribute("href");
    if (!href || !href.startsWith("/") || href.startsWith("/apis/") || href.startsWith("/static/"))
      return;
    event.preventDefault();
    navigate(href);
  });
  window.addEventListener("popstate", render);
  render();
}

/** True while `page` is still the one shown (async work for a left page must stop). */
export function isCurrent(page) {
  return page === current;
}
