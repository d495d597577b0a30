"""Configuration: defaults, TOML file, environment overrides, explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from mining.config import load_config


def test_precedence(tmp_path: Path) -> None:
    toml = tmp_path / "mining.toml"
    toml.write_text('workspace = "from_file"\ningest_batch_size = 500\n')
    config = load_config(toml, environ={})
    assert config.workspace == Path("from_file") and config.ingest_batch_size == 500
    config = load_config(toml, environ={"MINING_WORKSPACE": "from_env"})
    assert config.workspace == Path("from_env") and config.ingest_batch_size == 500
    config = load_config(toml, environ={"MINING_WORKSPACE": "from_env"}, workspace=Path("explicit"))
    assert config.workspace == Path("explicit")


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "mining.toml"
    toml.write_text('worksapce = "typo"\n')
    with pytest.raises(ValueError, match="worksapce"):
        load_config(toml, environ={})
