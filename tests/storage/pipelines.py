"""Pipelines with artifacts for the object-store tests (also loaded by `headrace run`)."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output


@dsl.component
def produce(text: str, data: Output[Dataset], model: Output[Model]) -> None:
    import os

    print(f"producing {text}")
    with open(data.path, "w") as f:
        f.write(text)
    os.makedirs(os.path.join(model.path, "weights"))
    with open(os.path.join(model.path, "weights", "w.bin"), "w") as f:
        f.write("weights")
    model.metadata["layers"] = 1


@dsl.component
def consume(data: Input[Dataset], model: Input[Model]) -> str:
    import os

    with open(data.path) as f:
        text = f.read()
    files = sorted(os.listdir(os.path.join(model.path, "weights")))
    return f"{text}|{','.join(files)}|{model.metadata['layers']}"


@dsl.container_component
def show(data: Input[Dataset]) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(
        image="alpine", command=["sh", "-c", 'echo "uri=$0"; cat "$1"'], args=[data.uri, data.path]
    )


@dsl.pipeline
def remote_artifacts(text: str = "hello") -> None:
    made = produce(text=text)
    consume(data=made.outputs["data"], model=made.outputs["model"])
    show(data=made.outputs["data"])


@dsl.pipeline
def one_producer(text: str = "hello") -> None:
    produce(text=text).set_retry(num_retries=1, backoff_duration="0s")
