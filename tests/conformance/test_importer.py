"""dsl.importer with a constant URI, a pipeline-parameter URI, metadata and reimport."""

from pathlib import Path

from kfp import dsl
from kfp.dsl import Dataset, Input, Model

from headrace.states import RunState, TaskKind

from .conftest import Harness


@dsl.component
def read(data: Input[Dataset]) -> str:
    with open(data.path) as f:
        return f.read() + "|" + str(data.metadata.get("source"))


@dsl.component
def read_model(model: Input[Model]) -> str:
    with open(model.path) as f:
        return model.schema_title + ":" + f.read()


def _pipeline(constant_uri: str):  # type: ignore[no-untyped-def]
    @dsl.pipeline(name="importers")
    def importers(model_uri: str, source: str = "param"):
        fixed = dsl.importer(
            artifact_uri=constant_uri,
            artifact_class=Dataset,
            reimport=False,
            metadata={"source": "constant"},
        )
        read(data=fixed.output).set_caching_options(False)
        dynamic = dsl.importer(
            artifact_uri=model_uri,
            artifact_class=Model,
            reimport=True,
            metadata={"source": source},
        )
        read_model(model=dynamic.output).set_caching_options(False)

    return importers


def test_constant_and_parameter_uris(harness: Harness) -> None:
    data, model = harness.tmp / "data.csv", harness.tmp / "model.bin"
    data.write_text("a,b")
    model.write_text("weights")
    result = harness.run(_pipeline(f"file://{data}"), {"model_uri": str(model)})
    assert result.state is RunState.SUCCEEDED, result.run.error
    assert result.output("read") == "a,b|constant"
    assert result.output("read-model") == "system.Model:weights"
    imported = result.artifact("importer", "artifact")
    assert Path(imported.uri) == data
    assert imported.schema_title == "system.Dataset"
    assert imported.metadata == {"source": "constant"}
    dynamic = result.artifact("importer-2", "artifact")
    assert dynamic.uri == str(model) and dynamic.metadata == {"source": "param"}
    assert {t.kind for t in result.tasks if t.path.startswith("importer")} == {TaskKind.IMPORTER}
    assert result.attempts("importer") == []


def test_reimport_false_reuses_the_artifact_so_readers_hit_the_cache(harness: Harness) -> None:
    data, model = harness.tmp / "data.csv", harness.tmp / "model.bin"
    data.write_text("a,b")
    model.write_text("weights")
    pipeline = _pipeline(f"file://{data}")
    first = harness.run(pipeline, {"model_uri": str(model)})
    second = harness.run(pipeline, {"model_uri": str(model)})
    assert second.state is RunState.SUCCEEDED
    # reimport=False: the same artifact (same identity) as in the first run.
    assert second.artifact("importer", "artifact").id == first.artifact("importer", "artifact").id
    # reimport=True: a new artifact for the same URI every time.
    assert (
        second.artifact("importer-2", "artifact").id != first.artifact("importer-2", "artifact").id
    )
