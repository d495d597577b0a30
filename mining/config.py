"""One configuration object for every setting, read from a file and overridden by the environment.

Order of precedence (last wins):
1. the defaults below;
2. a TOML file: ``$MINING_CONFIG`` if set, else ``./mining.toml`` when it exists;
3. environment variables ``MINING_<FIELD>`` (upper case), e.g. ``MINING_WORKSPACE=/data/ws``;
4. explicit keyword overrides (what CLI options pass).

Nothing is read at import time: call :func:`load_config`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The project root (the folder holding ``mining/``, ``rules/``, ``data/``...), found from this file.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """Every setting of the tool. Paths may be relative; they are resolved against the current directory."""

    workspace: Path = Path("workspace")
    out_dir: Path = Path("out")
    rules_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "rules")
    models_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "models")
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "data")
    reports_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "eval" / "reports")
    #: Records per batch when streaming a file into the store (bounds memory).
    ingest_batch_size: int = 20_000
    #: rapidfuzz ratio (0-100) above which two normalised titles count as the same work in dedup.
    dedup_title_threshold: float = 93.0
    log_level: str = "INFO"

    def replace(self, **changes: Any) -> "Config":
        """A copy with some fields changed (``None`` values are ignored, so CLI defaults pass through)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(value: str, annotation: Any) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    if "Path" in kind:
        return Path(value)
    if "int" in kind:
        return int(value)
    if "float" in kind:
        return float(value)
    return value


def load_config(path: Path | None = None, environ: dict[str, str] | None = None, **overrides: Any) -> Config:
    """Build the configuration: defaults, then the TOML file, then ``MINING_*`` variables, then overrides."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(Config)}
    file = path or (Path(environ["MINING_CONFIG"]) if "MINING_CONFIG" in environ else Path("mining.toml"))
    if file.exists():
        with file.open("rb") as handle:
            data = tomllib.load(handle)
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{file}: unknown setting(s) {unknown}; known settings are {sorted(known)}")
        values.update({k: _coerce(str(v), known[k].type) for k, v in data.items()})
        log.debug("configuration read from %s", file)
    for name, spec in known.items():
        env_name = f"MINING_{name.upper()}"
        if env_name in environ:
            values[name] = _coerce(environ[env_name], spec.type)
    config = Config(**values)
    return config.replace(**overrides)
