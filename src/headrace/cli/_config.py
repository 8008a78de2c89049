"""`headrace config show`, `headrace doctor` and `headrace namespace ...-storage`."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from headrace.cli._app import _format, app, cli_settings, console
from headrace.config import env_var, unknown_env
from headrace.service.doctor import run_checks
from headrace.service.namespaces import NamespaceSettings, StorageOverride, storage_view
from headrace.storage.settings import StorageSettings
from headrace.store import Store

config_app = typer.Typer(no_args_is_help=True, help="Inspect the effective settings.")
namespace_app = typer.Typer(no_args_is_help=True, help="Per-namespace artifact settings.")
app.add_typer(config_app, name="config")
app.add_typer(namespace_app, name="namespace")

OutputOption = Annotated[str, typer.Option("--output", "-o", help="table or json")]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: SQLite in HEADRACE_HOME)."),
]
NamespaceArg = Annotated[str, typer.Argument(help="The namespace, e.g. team-a.")]


@config_app.command("show")
def config_show(output: OutputOption = "table") -> None:
    """Every effective setting and where its value came from (secrets masked)."""
    settings = cli_settings()
    values = settings.effective()
    config_file = str(settings.config_file) if settings.config_file else None
    if _format(output) == "json":
        body = {
            "config_file": config_file,
            "settings": {
                v.name: {
                    "value": v.value,
                    "source": v.origin.source,
                    "origin": str(v.origin),
                    "env": None if v.name.startswith("secrets.") else env_var(v.name),
                }
                for v in values
            },
            "unknown_env": unknown_env(),
        }
        print(json.dumps(body, indent=2))
        return
    console.print(f"# config file: {config_file or 'none'}", highlight=False, markup=False)
    width = max(len(v.name) for v in values)
    for v in values:
        line = f"{v.name:<{width}} = {json.dumps(v.value)}  # {v.origin}"
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for name in unknown_env():
        console.print(f"[yellow]warning:[/] {name} names no setting and is ignored")


@app.command()
def doctor(output: OutputOption = "table") -> None:
    """Check the database, object stores and executors the settings point at; exit 1 on failure."""
    checks = run_checks(cli_settings())
    if _format(output) == "json":
        print(json.dumps([asdict(c) for c in checks], indent=2))
    else:
        for check in checks:
            line = Text.assemble(
                ("PASS", "green") if check.ok else ("FAIL", "red"), f" {check.name}: {check.detail}"
            )
            console.print(line, highlight=False, soft_wrap=True)
            if not check.ok and check.fix:
                console.print(
                    f"     fix: {check.fix}", highlight=False, soft_wrap=True, markup=False
                )
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def _service(database_url: str | None) -> tuple[NamespaceSettings, Store]:
    settings = cli_settings(database_url=database_url or None)
    store = Store.connect(settings.resolved_database_url())
    return NamespaceSettings(store, settings), store


@namespace_app.command("set-storage")
def set_storage(
    namespace: NamespaceArg,
    pipeline_root: Annotated[
        str | None, typer.Option("--pipeline-root", help="s3://, minio://, gs:// URI or path.")
    ] = None,
    key_prefix: Annotated[
        str | None,
        typer.Option("--key-prefix", help="e.g. {namespace}/{pipeline_name}/{run_id}"),
    ] = None,
    endpoint_url: Annotated[str | None, typer.Option("--endpoint-url")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    path_style: Annotated[bool | None, typer.Option("--path-style/--virtual-hosted")] = None,
    use_tls: Annotated[bool | None, typer.Option("--tls/--no-tls")] = None,
    ca_bundle: Annotated[str | None, typer.Option("--ca-bundle")] = None,
    credentials_file: Annotated[
        str | None,
        typer.Option("--credentials-file", help="An AWS-style shared credentials file."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="A profile in --credentials-file.")
    ] = None,
    timeout_seconds: Annotated[float | None, typer.Option("--timeout-seconds")] = None,
    max_retries: Annotated[int | None, typer.Option("--max-retries")] = None,
    credentials: Annotated[
        str | None, typer.Option("--credentials", help="Name of a [secrets.NAME] in the config.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Override settings for one namespace; other fields keep their values ("" resets one)."""
    endpoint = {
        "endpoint_url": endpoint_url,
        "region": region,
        "path_style": path_style,
        "use_tls": use_tls,
        "ca_bundle": ca_bundle,
        "credentials_file": credentials_file,
        "profile": profile,
        "timeout_seconds": timeout_seconds,
        "max_retries": max_retries,
        "credentials": credentials,
    }
    data: dict[str, Any] = {"object_store": {k: v for k, v in endpoint.items() if v is not None}}
    if pipeline_root is not None:
        data["pipeline_root"] = pipeline_root
    if key_prefix is not None:
        data["key_prefix"] = key_prefix
    service, store = _service(database_url)
    with store:
        override = service.set_override(namespace, data, merge=True)
        _print_storage(namespace, override, service.storage_settings_for(namespace), "table")


@namespace_app.command("show-storage")
def show_storage(
    namespace: NamespaceArg, output: OutputOption = "table", database_url: DatabaseOption = None
) -> None:
    """The namespace's override and the storage settings it ends up with."""
    service, store = _service(database_url)
    with store:
        override = service.get_override(namespace)
        _print_storage(namespace, override, service.storage_settings_for(namespace), output)


@namespace_app.command("clear-storage")
def clear_storage(namespace: NamespaceArg, database_url: DatabaseOption = None) -> None:
    """Drop the namespace's override: it uses the global settings again."""
    service, store = _service(database_url)
    with store:
        cleared = service.clear_override(namespace)
    what = "now uses" if cleared else "had no override; it uses"
    console.print(f"namespace {namespace} {what} the global storage settings", highlight=False)


def _print_storage(
    namespace: str, override: StorageOverride, storage: StorageSettings, output: str
) -> None:
    view = storage_view(namespace, override, storage)
    if _format(output) == "json":
        print(json.dumps(view, indent=2))
        return
    own = override.as_dict()
    own_store = own.get("object_store", {})
    table = Table("setting", "value", "origin", title=f"namespace {namespace}")
    for key in ("pipeline_root", "log_root", "key_prefix"):
        origin = "namespace" if key in own else "global"
        if key == "log_root" and "pipeline_root" in own:
            origin = "namespace (<pipeline_root>/logs)"
        table.add_row(key, _text(view["effective"][key]), origin)
    for key, value in (view["effective"]["object_store"] or {}).items():
        table.add_row(f"object_store.{key}", _text(value), _store_origin(key, own_store))
    if "credentials" in own_store:
        table.add_row("object_store.credentials", own_store["credentials"], "namespace")
    console.print(table)


_FILE = "credentials_file"
_CREDENTIAL_FIELDS = ("access_key_id", "secret_access_key", _FILE, "profile")


def _store_origin(key: str, own: dict[str, Any]) -> str:
    if key in own or (key in _CREDENTIAL_FIELDS and ("credentials" in own or _FILE in own)):
        return "namespace"
    return "global"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
