"""Loading the config: the TOML file found in the README's search order, then
``SAUTI__SECTION__KEY`` overrides, validated into :class:`Config`."""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from bot.config.model import Config, ConfigError

ENV_PREFIX = "SAUTI__"


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the config from ``path`` (or the search order of the README) and the environment.

    Raises :class:`ConfigError` with a one-line message naming the bad key.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = _find_file(path, env)
    if source is not None:
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {source}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: malformed TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    _apply_env(data, env)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _find_file(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get("SAUTI_CONFIG"):
        return Path(env["SAUTI_CONFIG"])
    local = Path("config.toml")
    return local if local.is_file() else None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(f"{name}: expected {ENV_PREFIX}SECTION__KEY")
        section, key = parts
        section_field = Config.model_fields.get(section)
        if section_field is None:
            raise ConfigError(f"{name}: unknown section {section!r}")
        model = section_field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise ConfigError(f"{name}: section {section!r} cannot be set from the environment")
        field = model.model_fields.get(key)
        if field is None:
            raise ConfigError(f"{name}: unknown key {section}.{key}")
        value: Any = raw if _is_text(field.annotation) else _parse_value(raw)
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"{section}: must be a table")
        target[key] = value


def _is_text(annotation: Any) -> bool:
    if annotation in (str, SecretStr):
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return any(_is_text(a) for a in typing.get_args(annotation) if a is not type(None))
    return False


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _describe(exc: ValidationError) -> str:
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in error["loc"]).replace(
        ".[", "["
    )
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        msg = "unknown key"
    extra = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{loc or 'config'}: {msg}{extra}"
