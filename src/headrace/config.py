"""Settings: flags > HEADRACE_* environment > config file > defaults, in one object.

`load_settings` is the only code that reads Headrace's environment variables and config file.
Every value remembers where it came from (`Settings.origin`), so `headrace config show` can say
why a value is what it is, and a bad value is reported with the source that holds it.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from headrace.errors import ConfigError
from headrace.storage.settings import (
    DEFAULT_KEY_PREFIX,
    KEY_PREFIX_FIELDS,
    ObjectStoreSettings,
    StorageSettings,
    scheme_of,
)

ENV_PREFIX = "HEADRACE_"
CONFIG_ENV = "HEADRACE_CONFIG"
CONFIG_FILE_NAME = "config.toml"
ENDPOINTS = ("s3", "minio", "gcs")
MASK = "***"


def check_root(value: str) -> str:
    """A pipeline or log root Headrace can write to: a path, file://, s3://, minio:// or gs://."""
    if value:
        scheme_of(value)
    return value


def check_key_prefix(value: str) -> str:
    """A key prefix template whose only placeholders are the known fields."""
    fields = sorted(KEY_PREFIX_FIELDS)
    try:
        parts = list(_FORMATTER.parse(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid template: {exc}") from exc
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in KEY_PREFIX_FIELDS:
            raise ValueError(f"unknown placeholder {{{name}}}; the placeholders are {fields}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} takes no format spec or conversion")
    if value.startswith("/") or ".." in value.split("/"):
        raise ValueError(f"{value!r} must be a relative key prefix without '..'")
    return value


def _expand(path: Path) -> Path:
    return path.expanduser()


_FORMATTER = string.Formatter()
_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]+")

Root = Annotated[str, AfterValidator(check_root)]
KeyPrefix = Annotated[str, AfterValidator(check_key_prefix)]


@dataclass(frozen=True)
class Origin:
    """Where a value came from: `default`, `file` (path), `env` (variable) or `flag` (option)."""

    source: Literal["default", "file", "env", "flag"]
    name: str = ""

    def __str__(self) -> str:
        if self.source == "default":
            return "default"
        what = {"file": "config file", "env": "environment", "flag": "flag"}[self.source]
        return f"{what} {self.name}"


DEFAULT = Origin("default")


@dataclass(frozen=True)
class EffectiveValue:
    name: str
    value: Any
    origin: Origin


class EndpointSettings(BaseModel):
    """How to reach one kind of object store; `[s3]`, `[minio]` and `[gcs]` in the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint_url: str = Field("", description="a URL such as http://127.0.0.1:9000, or empty")
    region: str = Field("", description="a region name such as us-east-1, or empty")
    path_style: bool = Field(False, description="true or false (bucket in the path, not host)")
    use_tls: bool = Field(True, description="true or false")
    ca_bundle: str = Field("", description="the path of a PEM CA bundle, or empty")
    access_key_id: str = Field("", description="an access key id, or empty for the default chain")
    secret_access_key: SecretStr = Field(SecretStr(""), description="the secret access key")
    credentials_file: str = Field(
        "", description="the path of an AWS-style shared credentials file, or empty"
    )
    profile: str = Field("", description="a profile (section) of credentials_file; empty: default")
    timeout_seconds: float = Field(30.0, gt=0, description="seconds, a number above 0")
    max_retries: int = Field(3, ge=0, description="a whole number, 0 or more")

    def object_store(self) -> ObjectStoreSettings:
        """These settings in the storage layer's terms."""
        return ObjectStoreSettings(
            endpoint_url=self.endpoint_url or None,
            region=self.region or None,
            path_style=self.path_style,
            use_tls=self.use_tls,
            ca_bundle=self.ca_bundle or None,
            access_key_id=self.access_key_id or None,
            secret_access_key=self.secret_access_key.get_secret_value() or None,
            credentials_file=self.credentials_file or None,
            profile=self.profile or None,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
        )


_CREDENTIAL_KEYS = ("access_key_id", "secret_access_key", "credentials_file", "profile")
_PUBLIC_SECRET_KEYS = ("access_key_id", "credentials_file", "profile")


class Credentials(BaseModel):
    """A named secret (`[secrets.NAME]` in the config file): storage credentials that namespaces
    refer to (the two keys, or an AWS-style credentials file and a profile in it), and/or any
    other string keys that tasks read as environment variables (kfp-kubernetes
    `use_secret_as_env` / `use_config_map_as_env` name the secret and the key)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    access_key_id: str = Field("", description="an access key id")
    secret_access_key: SecretStr = Field(SecretStr(""), description="the secret access key")
    credentials_file: str = Field("", description="the path of an AWS-style credentials file")
    profile: str = Field("", description="a profile (section) of credentials_file")

    @model_validator(mode="after")
    def _consistent(self) -> Credentials:
        for key, value in (self.model_extra or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"{key}: a secret's values are strings, not {value!r}")
        keys = bool(self.access_key_id) or bool(self.secret_access_key.get_secret_value())
        if keys and self.credentials_file:
            raise ValueError(
                "give either access_key_id and secret_access_key, or credentials_file (and profile)"
            )
        if keys and not self.has_storage_credentials():
            raise ValueError("give both access_key_id and secret_access_key")
        if self.profile and not self.credentials_file:
            raise ValueError("profile needs credentials_file")
        return self

    def has_storage_credentials(self) -> bool:
        """Whether this secret can serve as an object store's credentials."""
        keys = bool(self.access_key_id) and bool(self.secret_access_key.get_secret_value())
        return keys or bool(self.credentials_file)

    def key_fields(self) -> dict[str, str | None]:
        """The credential fields of an endpoint that this secret sets (the others cleared)."""
        return {
            "access_key_id": self.access_key_id or None,
            "secret_access_key": self.secret_access_key.get_secret_value() or None,
            "credentials_file": self.credentials_file or None,
            "profile": self.profile or None,
        }

    def held_keys(self) -> list[str]:
        """The keys this secret holds, storage credentials first."""
        known = [k for k in _CREDENTIAL_KEYS if self.value(k)]
        return known + sorted(self.model_extra or {})

    def value(self, key: str) -> str | None:
        """One key's value; None when the secret has no such key."""
        if key == "secret_access_key":
            return self.secret_access_key.get_secret_value() or None
        if key in _CREDENTIAL_KEYS:
            return str(getattr(self, key)) or None
        found = (self.model_extra or {}).get(key)
        return found if isinstance(found, str) else None


class Settings(BaseModel):
    """Every effective setting of a Headrace process, with the origin of each value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Annotated[Path, AfterValidator(_expand)] = Field(
        default_factory=lambda: Path("~/.headrace").expanduser(), description="a directory path"
    )
    database_url: str = Field("", description="a SQLAlchemy URL (sqlite, postgresql, mysql)")
    pipeline_root: Root = Field("", description="a path, file://, s3://, minio:// or gs:// URI")
    log_root: Root = Field("", description="a path or URI; empty: <pipeline root>/logs")
    key_prefix: KeyPrefix = Field(
        DEFAULT_KEY_PREFIX,
        description="a template using " + ", ".join(f"{{{f}}}" for f in sorted(KEY_PREFIX_FIELDS)),
    )
    max_parallel: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="a whole number, 1 or more"
    )
    lease_seconds: float = Field(15.0, gt=0, description="seconds, a number above 0")
    executor: Literal["warm", "local", "ray"] = Field("warm", description="warm, local or ray")
    ray_address: str = Field(
        "", description="a Ray cluster address (head:6379) or empty: RAY_ADDRESS, else local"
    )
    namespace_cache_seconds: float = Field(
        5.0, ge=0, description="seconds, 0 or more (0: read namespace settings every time)"
    )
    log_flush_seconds: float = Field(
        5.0, ge=0, description="seconds, 0 or more (0: archive logs only when attempts end)"
    )
    s3: EndpointSettings = Field(default_factory=EndpointSettings)
    minio: EndpointSettings = Field(default_factory=lambda: EndpointSettings(path_style=True))
    gcs: EndpointSettings = Field(default_factory=EndpointSettings)
    secrets: dict[str, Credentials] = Field(default_factory=dict)

    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)
    _config_file: Path | None = PrivateAttr(default=None)

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'headrace.db'}"

    def resolved_pipeline_root(self) -> str:
        return self.pipeline_root or str(self.home / "artifacts")

    def storage(self) -> StorageSettings:
        """The global storage settings: what a namespace without an override uses."""
        return StorageSettings(
            pipeline_root=self.resolved_pipeline_root(),
            log_root=self.log_root or None,
            key_prefix=self.key_prefix,
            s3=self.s3.object_store(),
            minio=self.minio.object_store(),
            gcs=self.gcs.object_store(),
            log_flush_seconds=self.log_flush_seconds,
        )

    def secret_values(self) -> dict[str, dict[str, str]]:
        """Every named secret's keys and values, for tasks that read them as variables."""
        return {
            name: {key: secret.value(key) or "" for key in secret.held_keys()}
            for name, secret in self.secrets.items()
        }

    def origin(self, name: str) -> Origin:
        """Where the value of a setting (`max_parallel`, `minio.endpoint_url`) came from."""
        if name.startswith("secrets."):
            name = ".".join(name.split(".")[:2])  # a named secret comes whole from one file
        return self._origins.get(name, DEFAULT)

    @property
    def config_file(self) -> Path | None:
        """The config file that was read, if any."""
        return self._config_file

    def effective(self) -> list[EffectiveValue]:
        """Every setting's effective value (secrets masked) and its origin, in a stable order."""
        values = []
        for name in _leaf_names(self):
            value = _get(self, name)
            if name == "database_url":
                value = self.resolved_database_url()
            elif name == "pipeline_root":
                value = self.resolved_pipeline_root()
            elif name == "log_root" and not value:
                value = self.storage().resolved_log_root()
            values.append(EffectiveValue(name, _display(value), self.origin(name)))
        return values


def env_var(name: str) -> str:
    """The variable of a setting: `minio.endpoint_url` -> HEADRACE_MINIO_ENDPOINT_URL."""
    return ENV_PREFIX + name.replace(".", "_").upper()


def flag_name(name: str) -> str:
    """The command-line option of a setting: `max_parallel` -> --max-parallel."""
    return "--" + name.replace(".", "-").replace("_", "-")


def load_settings(
    flags: Mapping[str, object] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from flags (None values are left out), environment, config file, defaults.

    The config file is `config_file` (`--config`), else `$HEADRACE_CONFIG`, else
    `$HEADRACE_HOME/config.toml` when it exists. Any invalid value, in any source, raises a
    ConfigError naming the setting, the source and what is expected.
    """
    env = os.environ if environ is None else environ
    layers: list[dict[str, tuple[object, Origin]]] = []
    given_flags = {k: v for k, v in (flags or {}).items() if v is not None}
    flag_layer = {
        name: (value, Origin("flag", flag_name(name))) for name, value in given_flags.items()
    }
    env_layer: dict[str, tuple[object, Origin]] = {
        name: (env[env_var(name)], Origin("env", env_var(name)))
        for name in _scalar_leaves()
        if env_var(name) in env
    }
    path = _config_path(config_file, env, flag_layer, env_layer)
    file_layer = _read_file(path) if path is not None else {}
    layers = [file_layer, env_layer, flag_layer]  # lowest precedence first
    for layer in layers:
        for name, (value, origin) in layer.items():
            _validate(name, value, origin)
    merged: dict[str, tuple[object, Origin]] = {}
    for layer in layers:
        merged.update(layer)
    nested: dict[str, Any] = {}
    for name, (value, _) in merged.items():
        _put(nested, name, value)
    defaults = Settings()
    for endpoint in ENDPOINTS:  # a partial [minio] keeps minio's own defaults (path style)
        if endpoint in nested:
            nested[endpoint] = {**dict(getattr(defaults, endpoint)), **nested[endpoint]}
    try:
        settings = Settings.model_validate(nested)
    except ValidationError as exc:  # every value passed alone; this is a bug, not a user error
        raise ConfigError(f"the settings do not fit together: {exc}") from exc
    settings._origins = {name: origin for name, (_, origin) in merged.items()}
    settings._config_file = path
    return settings


def unknown_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """HEADRACE_* variables that name no setting: most likely a typo of one that does."""
    env = os.environ if environ is None else environ
    known = {env_var(name) for name in _scalar_leaves()} | {CONFIG_ENV}
    return sorted(
        k
        for k in env
        if k.startswith(ENV_PREFIX) and k not in known and not k.startswith(_TEST_ENV)
    )


_TEST_ENV = "HEADRACE_TEST_"


def _config_path(
    given: Path | None,
    env: Mapping[str, str],
    flags: Mapping[str, tuple[object, Origin]],
    env_layer: Mapping[str, tuple[object, Origin]],
) -> Path | None:
    explicit = given or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    if explicit is not None:
        explicit = explicit.expanduser()
        if not explicit.is_file():
            source = "--config" if given else CONFIG_ENV
            raise ConfigError(
                f"config file {explicit} (from {source}) does not exist",
                "create it, or point --config / HEADRACE_CONFIG at an existing TOML file",
            )
        return explicit
    home_value = flags.get("home") or env_layer.get("home")
    home = Path(str(home_value[0])).expanduser() if home_value else Settings().home
    found = home / CONFIG_FILE_NAME
    return found if found.is_file() else None


def _read_file(path: Path) -> dict[str, tuple[object, Origin]]:
    origin = Origin("file", str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}", "fix the syntax") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    layer: dict[str, tuple[object, Origin]] = {}
    known = set(Settings.model_fields)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(
                f"config file {path} has an unknown setting {key!r}",
                f"the settings are: {', '.join(sorted(known))} (see `headrace config show`)",
            )
        if key in ENDPOINTS or key == "secrets":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"config file {path}: {key!r} must be a table ([{key}])",
                    "see docs/configuration.md",
                )
            layer.update(_read_table(path, key, value, origin))
        else:
            layer[key] = (value, origin)
    return layer


def _read_table(
    path: Path, key: str, table: dict[str, Any], origin: Origin
) -> Iterator[tuple[str, tuple[object, Origin]]]:
    if key == "secrets":
        for secret, fields in table.items():
            if not _SECRET_NAME.fullmatch(secret):
                raise ConfigError(
                    f"config file {path}: secret name {secret!r} is not allowed",
                    "use letters, digits, '-' and '_'",
                )
            if not isinstance(fields, dict):
                raise ConfigError(
                    f"config file {path}: secrets.{secret} must be a table ([secrets.{secret}])",
                    "give it keys with string values (access_key_id, secret_access_key, ...)",
                )
            yield f"secrets.{secret}", (fields, origin)
        return
    known = set(EndpointSettings.model_fields)
    for field, value in table.items():
        if field not in known:
            raise ConfigError(
                f"config file {path} has an unknown setting '{key}.{field}'",
                f"[{key}] takes: {', '.join(sorted(known))}",
            )
        yield f"{key}.{field}", (value, origin)


def _scalar_leaves() -> list[str]:
    """Every setting that the environment and flags can set (named secrets are file-only)."""
    names: list[str] = []
    for name in Settings.model_fields:
        if name in ENDPOINTS:
            names.extend(f"{name}.{field}" for field in EndpointSettings.model_fields)
        elif name != "secrets":
            names.append(name)
    return names


def _leaf_names(settings: Settings) -> list[str]:
    names = _scalar_leaves()
    for secret in sorted(settings.secrets):
        names.extend(f"secrets.{secret}.{key}" for key in settings.secrets[secret].held_keys())
    return names


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(name: str) -> tuple[TypeAdapter[Any], str]:
    head, _, rest = name.partition(".")
    if head == "secrets":
        return TypeAdapter(Credentials), (
            "a table of string keys and values (storage credentials: access_key_id and "
            "secret_access_key, or credentials_file and profile)"
        )
    model: type[BaseModel] = EndpointSettings if rest else Settings
    info = model.model_fields[rest or head]
    if name not in _ADAPTERS:
        kind: Any = info.annotation
        if info.metadata:
            kind = Annotated[kind, *info.metadata]
        _ADAPTERS[name] = TypeAdapter(kind)
    return _ADAPTERS[name], info.description or ""


def _validate(name: str, value: object, origin: Origin) -> None:
    adapter, expected = _adapter(name)
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        problem = "; ".join(_reason(e) for e in exc.errors())
        shown = MASK if _is_secret(name) else _display(value)
        raise ConfigError(
            f"invalid setting {name} = {shown!r} from {origin}: {problem}",
            f"expected {expected}" if expected else "see docs/configuration.md",
        ) from None


def _reason(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _is_secret(name: str) -> bool:
    return name.startswith("secrets.") or name.endswith("secret_access_key")


def _put(nested: dict[str, Any], name: str, value: object) -> None:
    head, _, rest = name.partition(".")
    if rest:
        nested.setdefault(head, {})[rest] = value
    else:
        nested[head] = value


def _get(settings: Settings, name: str) -> Any:
    value: Any = settings
    parts = name.split(".")
    if parts[0] == "secrets" and len(parts) == 3 and parts[2] not in _PUBLIC_SECRET_KEYS:
        return MASK  # a secret's values are shown masked, but for what names no secret
    for part in parts:
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


_URL_PASSWORD = re.compile(r"(://[^/:@\s]*:)([^@/\s]+)(@)")


def mask(text: str) -> str:
    """The text with any password in a URL (`scheme://user:PASSWORD@host`) replaced by ***."""
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)


def _display(value: Any) -> Any:
    """A value as shown to people: secrets masked, paths as strings."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        return mask(value)
    return value
