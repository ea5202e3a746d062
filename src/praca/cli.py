"""`praca`: one command for serving, the worker, migrations, the demo city and staff administration."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console

from praca.settings import Settings
from praca.wifi.cli import app as wifi_app

app = typer.Typer(help="Praça: the city's digital-rights platform.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(jobs_app, name="jobs")
app.add_typer(wifi_app, name="wifi")
console = Console(stderr=True)


def _settings() -> Settings:
    from praca.core.observability import configure_logging

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_level)
    return settings


def _sessionmaker(settings: Settings):
    from praca.core.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(settings.sqlalchemy_url))


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    settings = _settings()
    settings.signing_key()
    console.print(f"Praça is serving at [bold]http://{host}:{port}[/bold]")
    uvicorn.run("praca.asgi:build", factory=True, host=host, port=port, workers=workers, access_log=False,
                log_config=None, proxy_headers=True)


@app.command()
def worker(once: bool = typer.Option(False, help="Run every due job once, then exit.")) -> None:
    """Run the periodic jobs of every module."""
    from praca.core import jobs

    settings = _settings()
    sm = _sessionmaker(settings)
    if once:
        for job in jobs.load_jobs().values():
            jobs.run_job(sm, settings, job)
        return
    jobs.run_forever(sm, settings)


@jobs_app.command("run")
def jobs_run(name: str) -> None:
    """Run one job now, whatever its schedule."""
    from praca.core import jobs

    settings = _settings()
    registry = jobs.load_jobs()
    if name not in registry:
        console.print(f"Unknown job '{name}'. Known: {', '.join(sorted(registry))}")
        raise typer.Exit(2)
    result = jobs.run_job(_sessionmaker(settings), settings, registry[name], force=True)
    console.print(result if result is not None else "Another worker holds this job; try again later.")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run again)."""
    from praca.core.migrate import upgrade

    settings = _settings()
    upgrade(settings.sqlalchemy_url)
    console.print("Database is up to date.")


@app.command()
def demo() -> None:
    """Load the demo city (deterministic; running it again changes nothing)."""
    from praca import demo as demo_city

    settings = _settings()
    sm = _sessionmaker(settings)
    with sm() as session:
        summary = demo_city.seed(session, settings)
        session.commit()
    for line in summary:
        console.print(line)


@user_app.command("create")
def user_create(
    email: str,
    name: str,
    role: Annotated[str, typer.Option(help="admin, dpo, liaison or viewer")],
    department: Annotated[str | None, typer.Option(help="Department slug (liaisons)")] = None,
) -> None:
    """Create a staff account; the password is asked for, never passed on the command line."""
    from praca.core import auth
    from praca.core.errors import PracaError

    settings = _settings()
    password = getpass.getpass("Password: ")
    with _sessionmaker(settings)() as session:
        try:
            user = auth.create_user(session, email=email, name=name, role=role, password=password,
                                    department_slug=department, actor="cli")
        except PracaError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from None
        session.commit()
        console.print(f"Created {user.role} account #{user.id}.")


@user_app.command("token")
def user_token(email: str, name: str = "cli") -> None:
    """Issue a personal API token for a staff account (printed once)."""
    from sqlalchemy import select

    from praca.core import auth

    settings = _settings()
    with _sessionmaker(settings)() as session:
        user = session.scalar(select(auth.User).where(auth.User.email == email.lower()))
        if user is None:
            console.print("No such staff account.")
            raise typer.Exit(2)
        token = auth.issue_api_token(session, user, name)
        session.commit()
    typer.echo(token)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 at the first entry that does not match."""
    from praca.core import audit

    settings = _settings()
    with _sessionmaker(settings)() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"[green]Audit log intact[/green]: {result.entries} entries verified.")
        return
    console.print(f"[red]Audit log broken at entry {result.first_bad_seq}[/red]: {result.reason} "
                  f"({result.entries} entries before it verified).")
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
