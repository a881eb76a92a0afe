"""The `maps` command: serve the app, load demo data, check and show questionnaires."""

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli_accounts import register as register_accounts

app = typer.Typer(help="MAPS: Multi-Agency Partnership Self-assessment.", no_args_is_help=True)
questionnaire_app = typer.Typer(help="Check and show questionnaire definitions.",
                                no_args_is_help=True)
app.add_typer(questionnaire_app, name="questionnaire")
register_accounts(app)


def _settings():
    from app.config import Settings

    return Settings()


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    from app.upgrade import upgrade

    settings = _settings()
    upgrade(settings.db_url)
    typer.echo(f"Database is up to date: {_safe_url(settings.db_url)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    demo: Annotated[bool, typer.Option(help="Load the demo data if the database is empty")] = False,
) -> None:
    """Apply migrations, then serve MAPS."""
    import uvicorn

    settings = _settings()
    from app.upgrade import upgrade

    upgrade(settings.db_url)
    if demo:
        _load_demo(settings, reset=False)
    typer.echo(f"\nMAPS is running at http://{host}:{port}/  (Ctrl+C to stop)\n")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True)


@app.command()
def demo(reset: Annotated[bool, typer.Option(help="Delete everything and rebuild")] = False):
    """Load the demo data (a fictional county's partnerships) into the database."""
    settings = _settings()
    from app.upgrade import upgrade

    upgrade(settings.db_url)
    _load_demo(settings, reset=reset)


def _load_demo(settings, *, reset: bool) -> None:
    from sqlmodel import Session

    from app import demo as demo_data
    from app.db import make_engine
    from app.questionnaires.loader import load_catalogue

    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        if reset:
            demo_data.reset(session)
        if not demo_data.is_empty(session):
            typer.echo("The database already has data; demo data not loaded "
                       "(use `maps demo --reset` to rebuild it).")
            return
        links = demo_data.load(session, load_catalogue())
    engine.dispose()
    lines = ["Demo data loaded: Northshire County Council (demo) and its partnerships.",
             "", "Demo logins (password for all):"]
    lines += [f"  {role:<24} {email}  /  {password}" for role, email, password in links.logins]
    lines += ["", "Invite links for the open Early Help round (try the questionnaire):"]
    lines += [f"  {who:<28} {path}" for who, path in links.invites]
    text = "\n".join(lines)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "demo-links.txt").write_text(text + "\n")
    typer.echo(text + f"\n\n(Also written to {settings.data_dir / 'demo-links.txt'})")


@app.command()
def rescore() -> None:
    """Recompute the kept scores of every closed round (after a scoring change)."""
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models import AssessmentRound, RoundStatus
    from app.questionnaires.loader import load_catalogue
    from app.services import results

    settings = _settings()
    engine = make_engine(settings.db_url)
    catalogue = load_catalogue()
    with Session(engine) as session:
        closed = session.exec(select(AssessmentRound).where(
            AssessmentRound.status == RoundStatus.closed)).all()
        for round_ in closed:
            results.summarise(session, round_, catalogue)
        session.commit()
    engine.dispose()
    typer.echo(f"Rescored {len(closed)} closed round(s).")


@questionnaire_app.command("validate")
def questionnaire_validate(files: Annotated[list[Path], typer.Argument(help="YAML files")]):
    """Check questionnaire files; list every error and exit 1 if any file is invalid."""
    from app.questionnaires.loader import InvalidQuestionnaire, load_file

    failed = False
    for path in files:
        try:
            q = load_file(path)
        except InvalidQuestionnaire as exc:
            failed = True
            for error in exc.errors:
                typer.echo(str(error), err=True)
            continue
        typer.echo(f"{path}: OK ({q.ref}, {len(q.sections)} sections, {len(q.items)} items)")
    raise typer.Exit(1 if failed else 0)


@questionnaire_app.command("show")
def questionnaire_show(
    key: str,
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the definition as JSON")] = False,
):
    """Print a questionnaire definition with every item's tags."""
    from app.questionnaires.loader import load_catalogue

    q = load_catalogue().get(key, version)
    if q is None:
        typer.echo(f"No questionnaire '{key}'" + (f" version {version}" if version else ""),
                   err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(q.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(f"{q.title} ({q.ref})")
    for section in q.sections:
        typer.echo(f"\n{section.title}")
        for item in section.items:
            tags = ", ".join(f"{k}={'/'.join(v)}" for k, v in item.tags.items())
            flag = " [reverse]" if item.reverse else ""
            typer.echo(f"  {item.id}{flag}: {item.text}\n      {tags}")


def _questionnaire_ref(ref: str):
    """KEY or KEY@VERSION, from the installed questionnaires."""
    from app.questionnaires.loader import load_catalogue

    key, _, version = ref.partition("@")
    if version and not version.isdigit():
        typer.echo(f"Version in '{ref}' must be a number, e.g. {key}@1", err=True)
        raise typer.Exit(2)
    q = load_catalogue().get(key, int(version) if version else None)
    if q is None:
        typer.echo(f"No questionnaire '{ref}' is installed", err=True)
        raise typer.Exit(2)
    return q


def _answers_file(path: Path):
    from app.scoring import ScoringInputError
    from app.scoring.scores import respondents_from_json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        typer.echo(f"Cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        typer.echo(f"{path} is not valid JSON: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        return respondents_from_json(data)
    except ScoringInputError as exc:
        for problem in exc.problems:
            typer.echo(f"{path}: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def score(
    file: Annotated[Path, typer.Argument(help='JSON file: {"respondents": [...]}')],
    questionnaire: Annotated[str, typer.Option(help="KEY or KEY@VERSION")] = "multi-agency-working",
    anonymity_threshold: Annotated[int, typer.Option(min=1)] = 3,
    agencies: Annotated[int | None, typer.Option(help="Agencies in the partnership")] = None,
):
    """Score answers held in a file and print the result as JSON."""
    q = _questionnaire_ref(questionnaire)
    result = _score_file(q, _answers_file(file), file,
                         anonymity_threshold=anonymity_threshold, agencies=agencies)
    typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))


def _score_file(q, respondents, path: Path, *, anonymity_threshold: int, agencies: int | None):
    """Score answers read from a file; every problem is printed against the file, exit 2."""
    from app.scoring import ScoringInputError, score_round

    try:
        return score_round(q, respondents, anonymity_threshold=anonymity_threshold,
                           agencies_in_partnership=agencies)
    except ScoringInputError as exc:
        for problem in exc.problems:
            typer.echo(f"{path}: {problem}", err=True)
        raise typer.Exit(2) from None


@app.command()
def report(
    source: Annotated[str, typer.Argument(
        metavar="ROUND_ID|FILE",
        help='A round id, or with --questionnaire a JSON file: {"respondents": [...]}')],
    questionnaire: Annotated[str | None, typer.Option(
        help="KEY or KEY@VERSION: read SOURCE as an answers file (the format of maps score)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the PDF here")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as one HTML file")] = None,
    partnership_name: Annotated[str | None, typer.Option(
        help="Partnership name for the report (default: the file's name)")] = None,
    title: Annotated[str | None, typer.Option(help="Round title for the report")] = None,
    anonymity_threshold: Annotated[int, typer.Option(min=1)] = 3,
    agencies: Annotated[int | None, typer.Option(help="Agencies in the partnership")] = None,
    charts: Annotated[bool, typer.Option(help="Include the charts")] = True,
):
    """Write a round's report as a PDF (--out) and/or an HTML file (--html)."""
    if out is None and html is None:
        typer.echo("Say where to write the report: --out FILE.pdf and/or --html FILE.html",
                   err=True)
        raise typer.Exit(2)
    if questionnaire is None and source.isdigit():
        _write_report(_round_context(int(source)), out=out, html=html, charts=charts)
        return
    path = Path(source)
    q = _questionnaire_ref(questionnaire or "multi-agency-working")
    respondents = _answers_file(path)
    if not respondents:
        typer.echo(f"{path}: the file has no respondents", err=True)
        raise typer.Exit(2)
    context = _report_context(q, respondents, path, partnership_name=partnership_name,
                              title=title, anonymity_threshold=anonymity_threshold,
                              agencies=agencies)
    _write_report(context, out=out, html=html, charts=charts)


def _round_context(round_id: int):
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import AssessmentRound
    from app.questionnaires.loader import load_catalogue
    from app.services import results

    engine = make_engine(_settings().db_url)
    try:
        with Session(engine) as session:
            round_ = session.get(AssessmentRound, round_id)
            if round_ is None:
                typer.echo(f"There is no round {round_id} in this database.", err=True)
                raise typer.Exit(2)
            return results.report_context(session, round_, load_catalogue())
    finally:
        engine.dispose()


def _report_context(q, respondents, path: Path, *, partnership_name, title,
                    anonymity_threshold, agencies):
    from app.reports.context import build_context

    result = _score_file(q, respondents, path, anonymity_threshold=anonymity_threshold,
                         agencies=agencies)
    return build_context(partnership_name=(partnership_name or path.stem).strip() or path.stem,
                         round_title=title or f"Answers from {path.name}", questionnaire=q,
                         result=result)


def _write_report(context, *, out: Path | None, html: Path | None, charts: bool) -> None:
    from app.reports.pdf import html_to_pdf, render_html

    for target in (t for t in (out, html) if t is not None):
        if not target.parent.is_dir():
            typer.echo(f"Cannot write {target}: no folder {target.parent}", err=True)
            raise typer.Exit(2)
    try:
        if html is not None:
            html.write_text(render_html(context, charts=charts, self_contained=True),
                            encoding="utf-8")
            typer.echo(f"Wrote {html}")
        if out is not None:
            out.write_bytes(html_to_pdf(render_html(context, charts=charts)))
            typer.echo(f"Wrote {out} ({len(context.recommendations)} recommendations)")
    except OSError as exc:
        typer.echo(f"Cannot write the report: {exc.strerror} ({exc.filename})", err=True)
        raise typer.Exit(2) from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()
