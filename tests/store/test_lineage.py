from __future__ import annotations

from collections.abc import Callable

import pytest

from headrace.states import TaskKind
from headrace.store import Store
from headrace.store.records import NewArtifact, NewTask, RunRecord

RunFactory = Callable[..., RunRecord]


def _tasks(store: Store, run_id: str, *names: str) -> list[str]:
    news = [
        NewTask(run_id=run_id, parent_id=None, name=n, path=f"root/{n}", kind=TaskKind.CONTAINER)
        for n in names
    ]
    return [t.id for t in store.create_tasks(news)]


def test_artifact_round_trips_and_lists_in_creation_order(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    (producer,) = _tasks(store, run.id, "train")
    model = store.create_artifact(
        NewArtifact(
            run_id=run.id,
            name="model",
            uri="s3://bucket/ünï/model",
            schema_title="system.Model",
            schema_version="0.0.2",
            metadata={"framework": "torch", "accuracy": 0.5, "tags": ["a", "ß"]},
            producer_task_id=producer,
        )
    )
    metrics = store.create_artifact(
        NewArtifact(run_id=run.id, name="metrics", uri="file:///m", schema_title="system.Metrics")
    )
    assert store.list_artifacts(run.id) == [model, metrics]
    assert metrics.metadata == {} and metrics.producer_task_id is None
    assert store.list_artifacts(make_run().id) == []


def test_lineage_is_seen_from_tasks_and_from_artifacts(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    train, evaluate, deploy = _tasks(store, run.id, "train", "evaluate", "deploy")
    model = store.create_artifact(
        NewArtifact(run_id=run.id, name="model", uri="file:///model", schema_title="system.Model")
    )
    data = store.create_artifact(
        NewArtifact(run_id=run.id, name="data", uri="file:///data", schema_title="system.Dataset")
    )
    store.record_event(train, data.id, "INPUT", "dataset", 0)
    store.record_event(train, model.id, "OUTPUT", "model", 0)
    store.record_event(deploy, model.id, "INPUT", "model", 0)
    store.record_event(evaluate, model.id, "INPUT", "models", 1)
    store.record_event(evaluate, data.id, "INPUT", "models", 0)

    produced = store.task_events(train, "OUTPUT")
    assert [(e.artifact, e.key, e.position) for e in produced] == [(model, "model", 0)]
    assert [e.direction for e in store.task_events(train)] == ["INPUT", "OUTPUT"]
    consumed = store.task_events(evaluate, "INPUT")
    assert [(e.artifact.id, e.position) for e in consumed] == [(data.id, 0), (model.id, 1)]
    assert store.task_events(evaluate, "OUTPUT") == []

    around_model = store.artifact_events(model.id)
    assert [(e.task_id, e.direction) for e in around_model] == [
        (train, "OUTPUT"),
        (deploy, "INPUT"),
        (evaluate, "INPUT"),
    ]
    assert all(e.artifact == model for e in around_model)


def test_event_direction_must_be_input_or_output(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    (task,) = _tasks(store, run.id, "t")
    artifact = store.create_artifact(
        NewArtifact(run_id=run.id, name="a", uri="file:///a", schema_title="system.Artifact")
    )
    with pytest.raises(ValueError, match="INPUT or OUTPUT"):
        store.record_event(task, artifact.id, "input", "a", 0)


def test_find_artifact_by_uri_returns_the_newest_of_that_type(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    uri = f"gs://bucket/{run.id}/data.csv"

    def add(title: str) -> str:
        return store.create_artifact(
            NewArtifact(run_id=run.id, name="artifact", uri=uri, schema_title=title)
        ).id

    assert store.find_artifact_by_uri(uri, "system.Dataset") is None
    add("system.Dataset")
    newest = add("system.Dataset")
    add("system.Model")
    found = store.find_artifact_by_uri(uri, "system.Dataset")
    assert found is not None and found.id == newest
    assert store.find_artifact_by_uri(uri + "x", "system.Dataset") is None
