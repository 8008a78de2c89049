"""A small pipeline that shows the main features: artifacts, a loop, a condition, caching."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Output


@dsl.component(base_image="python:3.11")
def make_rows(rows: int, data: Output[Dataset]) -> list:
    """Write a small CSV and return the row ids."""
    with open(data.path, "w") as f:
        f.write("id,value\n")
        for i in range(rows):
            f.write(f"{i},{i * i}\n")
    data.metadata["rows"] = rows
    print(f"wrote {rows} rows to {data.uri}")
    return list(range(rows))


@dsl.component(base_image="python:3.11")
def score(row: int, data: Input[Dataset]) -> float:
    """Score one row of the dataset."""
    with open(data.path) as f:
        lines = f.read().splitlines()[1:]
    value = float(lines[row].split(",")[1])
    print(f"row {row}: value {value}")
    return value / 10.0


@dsl.component(base_image="python:3.11")
def summarize(scores: list, metrics: Output[Metrics]) -> float:
    """Fan-in: average the scores and log them as metrics."""
    mean = sum(scores) / len(scores)
    metrics.log_metric("mean_score", mean)
    metrics.log_metric("count", len(scores))
    print(f"mean score {mean:.3f} over {len(scores)} rows")
    return mean


@dsl.component(base_image="python:3.11")
def announce(message: str):
    print(message)


@dsl.pipeline(name="hello-headrace", description="Artifacts, a loop, a condition.")
def hello_pipeline(rows: int = 5, threshold: float = 1.0):
    data = make_rows(rows=rows)
    with dsl.ParallelFor(data.outputs["Output"], parallelism=3) as row:
        scored = score(row=row, data=data.outputs["data"])
    summary = summarize(scores=dsl.Collected(scored.output))
    with dsl.If(summary.outputs["Output"] > threshold):
        announce(message="the mean score is above the threshold")
    with dsl.Else():
        announce(message="the mean score is at or below the threshold")
