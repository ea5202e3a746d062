"""`praca wifi …`: the pipeline by hand, with progress bars; the worker runs the same functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Privacy-preserving analytics of the public Wi-Fi.", no_args_is_help=True)
console = Console(stderr=True)


def _context():
    from praca.cli import _sessionmaker, _settings

    settings = _settings()
    return settings, _sessionmaker(settings)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _report_lines(report: dict) -> list[str]:
    lines = [report["error"]] if "error" in report else []
    for reason, entry in report.get("rejected", {}).items():
        shown = ", ".join(map(str, entry["lines"][:10]))
        lines.append(f"{reason}: {entry['count']} (lines {shown}{'…' if entry['count'] > 10 else ''})")
    return lines


@app.command()
def ingest(files: Annotated[list[Path] | None, typer.Argument(help="Log files; default: the inbox.")] = None,
           mapping: Annotated[Path | None, typer.Option(help="TOML column mapping.")] = None,
           accept_partial: Annotated[bool, typer.Option(help="Ingest a file's good rows despite bad ones.")] = False
           ) -> None:
    """Pseudonymise session logs into the pipeline; the raw files are deleted once counted."""
    from praca.core.errors import InvalidInput
    from praca.wifi import ingest as ingesting
    from praca.wifi import mapping as mappings
    from praca.wifi import store

    settings, sm = _context()
    overrides = mappings.load(mapping or (settings.wifi_dir / "mapping.toml"
                                          if (settings.wifi_dir / "mapping.toml").exists() else None))
    paths = files or sorted(p for p in store.inbox(settings).glob("*") if p.suffix.lower() in ingesting.FORMATS)
    table = Table("file", "status", "rows", "ingested", "rejected", "why")
    failed = False
    with _progress() as progress, sm() as session:
        task = progress.add_task("ingest", total=len(paths))
        for path in paths:
            try:
                out = ingesting.ingest_file(session, settings, path, overrides=overrides, accept_partial=accept_partial)
            except InvalidInput as exc:
                session.rollback()
                table.add_row(path.name, "rejected", "", "", "", exc.message)
                failed = True
            else:
                failed |= out.status == "rejected"
                table.add_row(out.file_name, out.status, str(out.rows_read), str(out.rows_ingested),
                              str(out.rows_rejected), "\n".join(_report_lines(out.report)))
            progress.advance(task)
    console.print(table)
    if failed:
        console.print("Rejected files were left in place; nothing of them was written. Fix them, or re-run with "
                      "--mapping or --accept-partial.")
        raise typer.Exit(1)


@app.command()
def aggregate() -> None:
    """Aggregate every key period that is final, then destroy its key and its sessions."""
    from praca.wifi import lifecycle

    settings, sm = _context()
    with sm() as session, _progress() as progress:
        due = lifecycle.due_periods(session, settings, datetime.now(UTC))
        task = progress.add_task("aggregate", total=len(due))
        done = lifecycle.finalise(session, settings, progress=lambda _p: progress.advance(task))
    console.print(f"{len(done)} period(s) final; their keys and sessions are destroyed.")


@app.command()
def purge() -> None:
    """Enforce retention now: raw files, expired periods, leftovers."""
    from praca.wifi import lifecycle

    settings, sm = _context()
    with sm() as session:
        result = lifecycle.purge(session, settings)
    console.print(f"raw files deleted: {result.raw_deleted}; periods expired unaggregated: "
                  f"{len(result.periods_expired)}; folders removed: {result.dirs_removed}")


@app.command()
def status() -> None:
    """What is held, since when, and when it will be gone."""
    from praca.wifi import status as statuses

    settings, sm = _context()
    table = Table("held", "count", "since", "gone by", "note")
    with sm() as session:
        for h in statuses.holdings(session, settings):
            table.add_row(h.what, f"{h.count:,}", f"{h.since:%Y-%m-%d %H:%M}" if h.since else "–",
                          f"{h.gone_by:%Y-%m-%d %H:%M}" if h.gone_by else "–", h.detail)
    Console().print(table)


@app.command("map-aps")
def map_aps() -> None:
    """Give every register Wi-Fi access point without a controller code one (AP-0001, BUS-0001)."""
    from praca.wifi import service

    _settings, sm = _context()
    with sm() as session:
        added = service.auto_map_access_points(session, "cli")
        session.commit()
    console.print(f"{added} access point(s) mapped.")


@app.command()
def synth(days: int = typer.Option(7, min=1, max=400), sessions_per_day: int = typer.Option(50_000, min=100),
          start: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD); default: `days` ago.")] = None,
          fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
          out: Annotated[Path | None, typer.Option(help="Folder; default: the inbox.")] = None,
          seed: int = 2026) -> None:
    """Write realistic session logs for the register's access points (one file per day)."""
    from praca.wifi import store
    from praca.wifi import synth as synthesis
    from praca.wifi.demo import synth_access_points

    settings, sm = _context()
    first = date.fromisoformat(start) if start else date.today() - timedelta(days=days)
    with sm() as session:
        aps = synth_access_points(session)
    if not aps:
        raise typer.BadParameter("No mapped access points: run `praca wifi map-aps` first.")
    with _progress() as progress:
        task = progress.add_task("synth", total=days * sessions_per_day)
        paths = synthesis.write_logs(out or store.inbox(settings), aps, start=first, days=days,
                                     sessions_per_day=sessions_per_day, seed=seed, fmt=fmt,  # type: ignore[arg-type]
                                     progress=lambda n: progress.advance(task, n))
    console.print(f"{len(paths)} file(s) written to {(out or store.inbox(settings))}.")


@app.command()
def release(dataset: Annotated[str, typer.Option(help="Dataset slug, e.g. footfall-hourly.")],
            start: Annotated[str, typer.Option(help="First hour, UTC (YYYY-MM-DDTHH:00).")],
            end: Annotated[str, typer.Option(help="End hour, UTC, exclusive.")],
            epsilon: Annotated[float, typer.Option(help="Privacy budget this release spends.")],
            title: Annotated[str | None, typer.Option(help="Title when the dataset is new.")] = None) -> None:
    """Publish a differentially private release of footfall, charged to the dataset's epsilon budget."""
    from praca.core.errors import PracaError
    from praca.wifi import release as releases

    settings, sm = _context()

    def hour(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    with sm() as session:
        try:
            releases.ensure_dataset(session, settings, dataset, title or dataset, actor="cli")
            made = releases.publish(session, settings, dataset, start=hour(start), end=hour(end), epsilon=epsilon,
                                    actor="cli")
            session.commit()
            spent, remaining = releases.budget(session, releases.get_dataset(session, dataset))
        except (PracaError, ValueError) as exc:
            console.print(f"[red]Refused:[/red] {getattr(exc, 'message', exc)}")
            raise typer.Exit(1) from exc
    console.print(f"Release {made.public_id}: {made.cells_published} cells published; epsilon spent {spent:g}, "
                  f"{remaining:g} remains.")
