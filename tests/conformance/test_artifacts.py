"""Artifacts between tasks: Input/Output, InputPath/OutputPath, metadata, the system types."""

from kfp import dsl
from kfp.dsl import (
    Artifact,
    Dataset,
    Input,
    InputPath,
    Markdown,
    Metrics,
    Model,
    Output,
    OutputPath,
)

from headrace.states import RunState

from .conftest import Harness


@dsl.component
def produce(
    n: int,
    data: Output[Dataset],
    model: Output[Model],
    metrics: Output[Metrics],
    report: Output[Markdown],
    blob: OutputPath("Artifact"),
) -> None:
    with open(data.path, "w") as f:
        f.write(",".join(str(i) for i in range(n)))
    data.metadata["rows"] = n
    data.metadata["nested"] = {"cols": ["a", "b"], "ok": True}
    with open(model.path, "w") as f:
        f.write("weights")
    model.metadata["framework"] = "none"
    metrics.log_metric("accuracy", 0.75)
    metrics.log_metric("count", n)
    with open(report.path, "w") as f:
        f.write("# Report\n")
    with open(blob, "w") as f:
        f.write("raw bytes")


@dsl.component
def consume(
    data: Input[Dataset],
    model: Input[Model],
    metrics: Input[Metrics],
    report: Input[Markdown],
    blob: InputPath("Artifact"),
) -> str:
    import json

    with open(data.path) as f:
        rows = f.read()
    with open(model.path) as f:
        weights = f.read()
    with open(report.path) as f:
        title = f.read().strip()
    with open(blob) as f:
        raw = f.read()
    return json.dumps(
        {
            "rows": rows,
            "data_meta": data.metadata,
            "model": weights,
            "model_meta": model.metadata,
            "metrics": metrics.metadata,
            "report": title,
            "blob": raw,
            "schemas": [data.schema_title, model.schema_title, metrics.schema_title],
        },
        sort_keys=True,
    )


@dsl.component
def path_writer(text: str, out: OutputPath(str), data: OutputPath("Dataset")) -> None:
    with open(out, "w") as f:
        f.write(text.upper())
    with open(data, "w") as f:
        f.write(text * 2)


@dsl.component
def path_reader(data: InputPath("Dataset"), generic: Input[Artifact]) -> str:
    with open(data) as f:
        a = f.read()
    with open(generic.path) as f:
        b = f.read()
    return a + "|" + b + "|" + generic.schema_title


@dsl.pipeline
def typed_artifacts(n: int = 4):
    p = produce(n=n).set_caching_options(False)
    consume(
        data=p.outputs["data"],
        model=p.outputs["model"],
        metrics=p.outputs["metrics"],
        report=p.outputs["report"],
        blob=p.outputs["blob"],
    ).set_caching_options(False)


def test_system_artifacts_and_metadata_round_trip(harness: Harness) -> None:
    result = harness.run(typed_artifacts, {"n": 3})
    assert result.state is RunState.SUCCEEDED
    import json

    got = json.loads(result.output("consume"))
    assert got == {
        "rows": "0,1,2",
        "data_meta": {"rows": 3, "nested": {"cols": ["a", "b"], "ok": True}},
        "model": "weights",
        "model_meta": {"framework": "none"},
        "metrics": {"accuracy": 0.75, "count": 3},
        "report": "# Report",
        "blob": "raw bytes",
        "schemas": ["system.Dataset", "system.Model", "system.Metrics"],
    }
    data = result.artifact("produce", "data")
    assert data.schema_title == "system.Dataset"
    assert data.metadata == {"rows": 3, "nested": {"cols": ["a", "b"], "ok": True}}
    assert result.artifact_text("produce", "data") == "0,1,2"
    assert result.artifact("produce", "metrics").metadata == {"accuracy": 0.75, "count": 3}
    assert result.artifact("produce", "model").schema_title == "system.Model"
    assert result.artifact("produce", "report").schema_title == "system.Markdown"
    assert result.artifact_text("produce", "blob") == "raw bytes"
    assert [a.id for a in result.input_artifacts("consume", "data")] == [data.id]
    uris = {result.artifact("produce", k).uri for k in ("data", "model", "metrics", "report")}
    assert len(uris) == 4


@dsl.pipeline
def path_style():
    w = path_writer(text="ab").set_caching_options(False)
    path_reader(data=w.outputs["data"], generic=w.outputs["data"]).set_caching_options(False)


def test_input_path_and_output_path(harness: Harness) -> None:
    result = harness.run(path_style)
    assert result.state is RunState.SUCCEEDED
    assert result.output("path-writer", "out") == "AB"
    assert result.output("path-reader") == "abab|abab|system.Dataset"
    assert len(result.attempts("path-reader")) == 1
