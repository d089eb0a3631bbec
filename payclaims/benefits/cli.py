"""``flask --app payclaims benefits-check FILE``: run a bank of scenarios through the engine.

FILE (or ``-`` for standard input) holds a JSON array of scenarios in the format of
../shared/benefits/SCENARIOS.md; the command prints one JSON object per scenario, one per line,
in the same order, using the benefit rule figures in the database. Bad input gets one line on
standard error naming the scenario and field (never a traceback), and exit status 1; nothing is
printed to standard output then. Dates must be written YYYY-MM-DD, from 2000-01-01 to 2100-12-31.
"""

from __future__ import annotations

import json
from typing import IO

import click
from flask.cli import with_appcontext

from payclaims.benefits.engine.types import MissingFigure
from payclaims.benefits.rules.store import load_rule_set
from payclaims.benefits.scenarios import (
    ScenarioError,
    check_scenario,
    check_to_dict,
    parse_scenarios,
)


@click.command("benefits-check")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def benefits_check_command(file: IO[str]) -> None:
    """Check each scenario in FILE (a JSON array) and print the answers as JSON Lines."""
    try:
        data = json.load(file)
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{file.name} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from error
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file.name} is not UTF-8 text") from error
    except RecursionError as error:
        raise click.ClickException(f"{file.name} is nested too deeply to read") from error
    except ValueError as error:  # a number too long to read, for one
        raise click.ClickException(f"{file.name} cannot be read: {error}") from error
    try:
        scenarios = parse_scenarios(data)
    except ScenarioError as error:
        raise click.ClickException(str(error)) from error
    rules = load_rule_set()
    lines = []
    for scenario in scenarios:
        try:
            check = check_scenario(scenario, rules)
        except MissingFigure as error:
            raise click.ClickException(
                f"scenario {scenario.id}: {error} (add it on the Benefit rules page)"
            ) from error
        except (ArithmeticError, ValueError) as error:
            # The parser bounds dates and sizes, so this should not happen; if it does, one
            # line naming the scenario rather than a traceback.
            raise click.ClickException(
                f"scenario {scenario.id}: cannot be checked ({type(error).__name__}: {error})"
            ) from error
        lines.append(json.dumps(check_to_dict(check, scenario.id), ensure_ascii=False))
    for line in lines:
        click.echo(line)
