"""Where a task may run, read from the kfp-kubernetes platform spec of its executor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from headrace.errors import PipelineSpecError


@dataclass(frozen=True)
class EnvFrom:
    """An environment variable a task reads from a named secret or config map."""

    source: str
    """`secret` or `config map`, as the pipeline said it."""
    name: str
    key: str
    env_var: str
    optional: bool = False


@dataclass(frozen=True)
class Placement:
    """Node constraints of one task, in terms any cluster with node labels can apply."""

    node_labels: dict[str, str] = field(default_factory=dict)
    """Label key -> selector: `value`, `!value`, `in(a,b)` or `!in(a,b)` (Ray's selector syntax)."""
    ignored: tuple[str, ...] = ()
    """Kubernetes-only requests that were read and left out, said in words for the task's log."""
    env_from: tuple[EnvFrom, ...] = ()
    """Variables from `use_secret_as_env` / `use_config_map_as_env`: Headrace's named secrets."""


def placement_for(platform_spec: Mapping[str, Any] | None, executor_label: str) -> Placement:
    """The placement of the executor `executor_label` (`exec-train`); empty without a spec."""
    executors = (
        ((platform_spec or {}).get("platforms") or {})
        .get("kubernetes", {})
        .get("deploymentSpec", {})
        .get("executors", {})
    )
    config: Mapping[str, Any] = executors.get(executor_label) or {}
    labels: dict[str, str] = {}
    ignored: list[str] = []
    for key, value in ((config.get("nodeSelector") or {}).get("labels") or {}).items():
        labels[str(key)] = str(value)
    if (config.get("nodeSelector") or {}).get("nodeSelectorJson"):
        ignored.append("a node selector given as a pipeline parameter (nodeSelectorJson)")
    for toleration in config.get("tolerations") or []:
        what = toleration.get("key") or "every taint"
        ignored.append(f"toleration of {what}: Ray nodes have no taints")
    for term in config.get("nodeAffinity") or []:
        _affinity_term(term, labels, ignored)
    env_from = [
        *_env_from(config.get("secretAsEnv"), "secret", "secretName", "secretKey"),
        *_env_from(config.get("configMapAsEnv"), "config map", "configMapName", "configMapKey"),
    ]
    return Placement(node_labels=labels, ignored=tuple(ignored), env_from=tuple(env_from))


def _env_from(entries: Any, source: str, name_field: str, key_field: str) -> list[EnvFrom]:
    found = []
    for entry in entries or []:
        name = entry.get(name_field) or (
            ((entry.get(f"{name_field}Parameter") or {}).get("runtimeValue") or {}).get("constant")
        )
        for pair in entry.get("keyToEnv") or []:
            found.append(
                EnvFrom(
                    source=source,
                    name=str(name or ""),
                    key=str(pair.get(key_field, "")),
                    env_var=str(pair.get("envVar", "")),
                    optional=bool(entry.get("optional")),
                )
            )
    return found


def secret_env(
    task_path: str, env_from: tuple[EnvFrom, ...], secrets: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """The variables a task reads from secrets and config maps, from Headrace's named secrets.

    A name Kubernetes would look up as a Secret or a ConfigMap is looked up in `[secrets.NAME]`;
    a missing one fails the task (unless the pipeline marked it optional), as on Kubernetes.
    """
    env: dict[str, str] = {}
    for ref in env_from:
        values = secrets.get(ref.name)
        value = None if values is None else values.get(ref.key)
        if value is not None:
            env[ref.env_var] = value
            continue
        if ref.optional:
            continue
        missing = f"has no key {ref.key!r}" if values is not None else "is not in the settings"
        raise PipelineSpecError(
            f"task {task_path} reads {ref.env_var} from {ref.source} {ref.name!r} key "
            f"{ref.key!r}, but the secret {ref.name!r} {missing}",
            f'add {ref.key} = "..." under [secrets.{ref.name}] in the config file of every '
            "Headrace process that runs tasks",
        )
    return env


def _affinity_term(term: Mapping[str, Any], labels: dict[str, str], ignored: list[str]) -> None:
    """A required node-affinity term becomes label selectors where Ray can say the same."""
    if term.get("weight"):
        ignored.append("a preferred (weighted) node affinity: Ray label selectors are hard")
        return
    if term.get("nodeAffinityJson"):
        ignored.append("a node affinity given as a pipeline parameter (nodeAffinityJson)")
        return
    for expression in term.get("matchExpressions") or []:
        key = str(expression.get("key", ""))
        operator = str(expression.get("operator", ""))
        values = [str(v) for v in expression.get("values") or []]
        selector = _selector(operator, values)
        if not key or selector is None or key in labels:
            ignored.append(f"node affinity {key} {operator} {values}: no Ray selector says it")
            continue
        labels[key] = selector
    for expression in term.get("matchFields") or []:
        ignored.append(f"node affinity on field {expression.get('key')}: Ray nodes have no fields")


def _selector(operator: str, values: list[str]) -> str | None:
    if not values or operator not in ("In", "NotIn"):
        return None  # Exists, DoesNotExist, Gt, Lt
    negate = "!" if operator == "NotIn" else ""
    if len(values) == 1:
        return f"{negate}{values[0]}"
    return f"{negate}in({','.join(values)})"
