"""The task tree by level, one task's details, run progress and the UI's page fallback."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from headrace.states import TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import NewRun, NewTask, TaskUpdate
from headrace.ui import STATIC_DIR, mount_ui
from tests.api.conftest import API, error_of


def _loop_run(store: Store, spec: dict[str, Any], iterations: int) -> dict[str, str]:
    """A run whose root holds one task and a loop of `iterations`, each with one leaf task."""
    run = store.create_run(NewRun("adder", "looped", spec, "/tmp/root"))
    root = store.create_task(NewTask(run.id, None, "adder", "", TaskKind.ROOT, "root"))
    first = store.create_task(NewTask(run.id, root.id, "first", "first", TaskKind.CONTAINER))
    loop = store.create_task(NewTask(run.id, root.id, "loop", "loop", TaskKind.LOOP, "comp-loop"))
    store.update_task(loop.id, TaskUpdate(iteration_count=iterations))
    # Created out of index order: listing must still give them by index.
    for i in reversed(range(iterations)):
        it = store.create_task(
            NewTask(run.id, loop.id, f"iteration-{i}", f"loop/{i}", TaskKind.ITERATION, None, i)
        )
        state = TaskState.FAILED if i == 3 else TaskState.SUCCEEDED if i < 6 else None
        leaf = store.create_task(
            NewTask(run.id, it.id, "body", f"loop/{i}/body", TaskKind.CONTAINER)
        )
        if state is not None:
            store.update_tasks(
                [(it.id, TaskUpdate(state=state)), (leaf.id, TaskUpdate(state=state))]
            )
    store.update_task(first.id, TaskUpdate(state=TaskState.CACHED, cache_fingerprint="abc"))
    return {"run": run.id, "root": root.id, "loop": loop.id, "first": first.id}


def test_levels_page_iterations_in_index_order_with_child_state_counts(
    api: TestClient, adder_spec: dict[str, Any]
) -> None:
    # On every backend: the paging and counting SQL must hold on each.
    store: Store = api.app.state.context.store  # type: ignore[attr-defined]
    ids = _loop_run(store, adder_spec, 10)
    top = api.get(f"{API}/runs/{ids['run']}/tasks").json()
    assert [t["task_id"] for t in top["tasks"]] == [ids["root"]]
    level = api.get(f"{API}/runs/{ids['run']}/tasks", params={"parent_id": ids["root"]})
    by_name = {t["name"]: t for t in level.json()["tasks"]}
    assert by_name["first"]["state"] == "CACHED"  # the UI sees CACHED, unlike run_details
    assert by_name["loop"]["iteration_count"] == 10
    assert by_name["loop"]["child_states"] == {"SUCCEEDED": 5, "FAILED": 1, "PENDING": 4}
    page = api.get(
        f"{API}/runs/{ids['run']}/tasks", params={"parent_id": ids["loop"], "page_size": 4}
    ).json()
    assert [t["iteration_index"] for t in page["tasks"]] == [0, 1, 2, 3]
    assert page["total_size"] == 10
    assert page["tasks"][0]["child_states"] == {"SUCCEEDED": 1}
    rest = api.get(
        f"{API}/runs/{ids['run']}/tasks",
        params={"parent_id": ids["loop"], "page_size": 4, "page_token": page["next_page_token"]},
    ).json()
    assert [t["iteration_index"] for t in rest["tasks"]] == [4, 5, 6, 7]
    failed = api.get(
        f"{API}/runs/{ids['run']}/tasks",
        params={"parent_id": ids["loop"], "state": ["FAILED", "PENDING"]},
    ).json()
    assert [t["iteration_index"] for t in failed["tasks"]] == [3, 6, 7, 8, 9]
    assert "next_page_token" not in failed


def test_task_details_progress_and_basic_view(
    sqlite_api: TestClient, adder_spec: dict[str, Any]
) -> None:
    store: Store = sqlite_api.app.state.context.store  # type: ignore[attr-defined]
    ids = _loop_run(store, adder_spec, 4)
    detail = sqlite_api.get(f"{API}/runs/{ids['run']}/tasks/{ids['first']}").json()
    assert detail["task"]["state"] == "CACHED"
    assert detail["cache_fingerprint"] == "abc"
    assert detail["attempts"] == [] and detail["output_artifacts"] == []
    loop = sqlite_api.get(f"{API}/runs/{ids['run']}/tasks/{ids['loop']}").json()
    assert loop["task"]["child_states"] == {"SUCCEEDED": 3, "FAILED": 1}
    progress = sqlite_api.get(f"{API}/runs/{ids['run']}/progress").json()
    assert progress["state"] == "PENDING"
    assert progress["task_states"] == {"CACHED": 1, "SUCCEEDED": 3, "FAILED": 1}
    basic = sqlite_api.get(f"{API}/runs/{ids['run']}", params={"view": "BASIC"}).json()
    assert "run_details" not in basic and basic["pipeline_spec"]["pipelineInfo"]
    full = sqlite_api.get(f"{API}/runs/{ids['run']}").json()
    assert len(full["run_details"]["task_details"]) == 1 + 2 + 4 * 2
    assert sqlite_api.get(f"{API}/runs/{ids['run']}/artifacts").json() == {"artifacts": []}


def test_bad_task_queries_are_4xx(sqlite_api: TestClient, adder_spec: dict[str, Any]) -> None:
    store: Store = sqlite_api.app.state.context.store  # type: ignore[attr-defined]
    one = _loop_run(store, adder_spec, 1)
    other = _loop_run(store, adder_spec, 1)
    url = f"{API}/runs/{one['run']}/tasks"
    assert "no task" in error_of(sqlite_api.get(f"{url}/{other['first']}"), 404)
    assert "no task" in error_of(sqlite_api.get(url, params={"parent_id": other["loop"]}), 404)
    assert "DONE" in error_of(sqlite_api.get(url, params={"state": "DONE"}), 400)
    assert "page_token" in error_of(sqlite_api.get(url, params={"page_token": "x"}), 400)
    assert "not found" in error_of(sqlite_api.get(f"{API}/runs/nope/progress"), 404)


def test_ui_pages_fall_back_to_the_app_and_api_paths_stay_json(sqlite_api: TestClient) -> None:
    mount_ui(sqlite_api.app)  # type: ignore[arg-type]
    page = sqlite_api.get("/runs/some-run-id?task=x")
    assert page.status_code == 200 and '<main id="app"' in page.text
    assert sqlite_api.get("/").status_code == 200
    script = sqlite_api.get("/static/js/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"  # no stale app after an upgrade
    again = sqlite_api.get("/static/js/main.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    assert "no such path" in error_of(sqlite_api.get(f"{API}/no-such-thing"), 404)
    assert sqlite_api.get("/static/js/none.js").status_code == 404
    assert sqlite_api.get(f"{API}/healthz").status_code == 200


def test_index_preloads_every_module_of_the_app() -> None:
    # Without it the browser finds modules one import level at a time (a slower first render).
    index = (STATIC_DIR / "index.html").read_text()
    modules = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.js"))
    missing = [m for m in modules if m != "js/main.js" and f'href="/static/{m}"' not in index]
    assert not missing, f"add <link rel=modulepreload> for {missing} to index.html"
