"""The command line: every command documented with an example; end-to-end runs on real fixtures."""

from __future__ import annotations

import typer.main
from typer.testing import CliRunner

from mining.cli import app

runner = CliRunner()


def _commands(group: object, prefix: str = "") -> dict[str, object]:
    """Every command and sub-command of the (typer-built) click group, by its full name."""
    found: dict[str, object] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, prefix + name + " "))
    return found


def test_every_command_has_help_with_an_example() -> None:
    commands = _commands(typer.main.get_command(app))
    assert {"ingest", "dedup", "records", "run", "formats", "schema", "bench ingest"} <= set(commands)
    for name, command in commands.items():
        if hasattr(command, "commands"):
            continue
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output, f"`mining {name} --help` shows no example"
