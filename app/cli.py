"""The `maps` command: serve the app, load demo data, check and show questionnaires."""

import dataclasses
import json
import os
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


def _catalogue(settings=None):
    """The installed questionnaires (built in and MAPS_QUESTIONNAIRE_DIRS); an invalid file
    is reported, every error with its line, and the command stops."""
    from app.questionnaires.loader import InvalidQuestionnaire, load_catalogue

    try:
        return load_catalogue((settings or _settings()).questionnaire_dirs)
    except InvalidQuestionnaire as exc:
        for error in exc.errors:
            typer.echo(str(error), err=True)
        typer.echo("Correct these questionnaire files (or MAPS_QUESTIONNAIRE_DIRS) first.",
                   err=True)
        raise typer.Exit(2) from None


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

    _catalogue(settings)  # an invalid file is reported here, not from inside the server
    upgrade(settings.db_url)
    if demo:
        _load_demo(settings, reset=False)
    typer.echo(f"\nMAPS is running at http://{host}:{port}/  (Ctrl+C to stop)\n")
    from app.logs import uvicorn_log_config

    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", log_config=uvicorn_log_config(), **proxy_options())


def proxy_options(environ=None) -> dict:
    """Trust X-Forwarded-For and X-Forwarded-Proto only from the proxies FORWARDED_ALLOW_IPS
    names (comma-separated addresses or networks, as uvicorn reads them). Nothing is trusted
    by default, not even loopback: otherwise anyone reaching MAPS directly could choose the
    address its sign-in limits count."""
    trusted = (environ if environ is not None else os.environ).get("FORWARDED_ALLOW_IPS", "")
    if not trusted.strip():
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


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
    from app.services.accounts import hash_password

    catalogue = _catalogue(settings)
    engine = make_engine(settings.db_url)
    with Session(engine) as session:
        if reset:
            demo_data.reset(session)
        if not demo_data.is_empty(session):
            typer.echo("The database already has data; demo data not loaded "
                       "(use `maps demo --reset` to rebuild it).")
            return
        links = demo_data.load(session, catalogue, password_hash=hash_password(
            settings, demo_data.DEMO_PASSWORD))
    engine.dispose()
    lines = ["Demo data loaded: Northshire County Council (demo) and its partnerships.",
             "", "Demo logins (password for all):"]
    lines += [f"  {role:<24} {email}  /  {password}" for role, email, password in links.logins]
    lines += ["", "Invite links for the open Early Help round (try the questionnaire):"]
    lines += [f"  {who:<28} {path}" for who, path in links.invites]
    text = "\n".join(lines)
    write_private(settings.data_dir / "demo-links.txt", text + "\n")
    typer.echo(text + f"\n\n(Also written to {settings.data_dir / 'demo-links.txt'})")


def write_private(path: Path, text: str) -> None:
    """A file only its owner can read (the demo's links sign people in as board members)."""
    from app.config import make_data_dir

    make_data_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left by an older version keeps its mode otherwise
    with os.fdopen(fd, "w") as file:
        file.write(text)


@app.command()
def rescore() -> None:
    """Recompute the kept scores of every closed round (after a scoring change)."""
    from sqlmodel import Session, select

    from app.db import make_engine
    from app.models import AssessmentRound, RoundStatus
    from app.services import results

    settings = _settings()
    engine = make_engine(settings.db_url)
    catalogue = _catalogue(settings)
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


@questionnaire_app.command("list")
def questionnaire_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON")] = False,
):
    """List every instrument: its key, versions, title and where each version came from
    (built in, a file in MAPS_QUESTIONNAIRE_DIRS, or uploaded in the web app)."""
    by_key: dict[str, list[dict]] = {}
    for version in _every_version():
        by_key.setdefault(version["key"], []).append(version)
    listed = [{"key": key, "title": found[0]["title"], "versions": found}
              for key, found in by_key.items()]
    if as_json:
        typer.echo(json.dumps(listed, indent=2, ensure_ascii=False))
        return
    for instrument in listed:
        typer.echo(f"{instrument['key']}  {instrument['title']}")
        for v in instrument["versions"]:
            typer.echo(f"    version {v['version']}: {v['origin']} ({v['items']} items)")


def _every_version() -> list[dict]:
    """Each installed version, and those uploaded in the web app when the database can be
    read (there is none yet, or it is not migrated: a note says so)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    from app.db import make_engine
    from app.services import questionnaires

    settings = _settings()
    catalogue = _catalogue(settings)
    listed = [questionnaires.Listed(i, None, None, 0) for i in catalogue.instruments()]
    url = make_url(settings.db_url)
    # No SQLite file yet: nothing has been uploaded (and listing must not create one).
    if url.get_backend_name() != "sqlite" or not url.database or Path(url.database).exists():
        engine = make_engine(settings.db_url)
        try:
            with Session(engine) as session:
                listed = questionnaires.listing(session, organisation_id=None,
                                                catalogue=catalogue, every_organisation=True)
        except DBAPIError:
            typer.echo(f"Uploaded questionnaires are not listed: the database "
                       f"({_safe_url(settings.db_url)}) cannot be read. Run `maps migrate`?",
                       err=True)
        finally:
            engine.dispose()
    return [{"key": x.instrument.key, "version": x.instrument.version,
             "title": x.instrument.questionnaire.title,
             "origin": x.instrument.origin if x.upload is None else
             f"uploaded for {x.organisation}" if x.organisation else "uploaded site-wide",
             "items": len(x.instrument.questionnaire.items), "sha256": x.instrument.sha256}
            for x in listed]


@questionnaire_app.command("schema")
def questionnaire_schema():
    """Print the JSON Schema of the definition format (docs/questionnaire.schema.json)."""
    from app.questionnaires.format import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@questionnaire_app.command("show")
def questionnaire_show(
    key: str,
    version: Annotated[int | None, typer.Option(help="Version (default: latest)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the definition as JSON")] = False,
):
    """Print a questionnaire definition with every item's tags."""
    q = _catalogue().get(key, version)
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
    """KEY or KEY@VERSION, from the installed questionnaires, or a definition file (to try
    one out before installing it)."""
    if ref.endswith((".yaml", ".yml")):
        from app.questionnaires.loader import InvalidQuestionnaire, load_file

        try:
            return load_file(ref)
        except InvalidQuestionnaire as exc:
            for error in exc.errors:
                typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
    key, _, version = ref.partition("@")
    if version and not version.isdigit():
        typer.echo(f"Version in '{ref}' must be a number, e.g. {key}@1", err=True)
        raise typer.Exit(2)
    q = _catalogue().get(key, int(version) if version else None)
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
    questionnaire: Annotated[str, typer.Option(
        help="KEY, KEY@VERSION or a definition file (.yaml)")] = "multi-agency-working",
    anonymity_threshold: Annotated[int | None, typer.Option(
        help="Smallest group shown (default and least: MAPS_MIN_ANONYMITY_THRESHOLD)")] = None,
    agencies: Annotated[int | None, typer.Option(help="Agencies in the partnership")] = None,
):
    """Score answers held in a file and print the result as JSON, with every figure
    disclosure control withholds taken out."""
    from app.scoring.collaboration import collaboration_map

    respondents = _answers_file(file)
    q = _with_roster(_questionnaire_ref(questionnaire), respondents)
    anonymity_threshold = _threshold(anonymity_threshold)
    result = _score_file(q, respondents, file,
                         anonymity_threshold=anonymity_threshold, agencies=agencies)
    found = collaboration_map(q, respondents, threshold=anonymity_threshold)
    typer.echo(json.dumps({**result.to_dict(), **({"collaboration": found.to_dict()}
                                                   if found else {})},
                          indent=2, ensure_ascii=False))


def _with_roster(q, respondents):
    """A file's roster items are asked about the agencies its respondents come from, and
    answered under "<item>@<agency name>"."""
    agencies = sorted({r.agency for r in respondents})
    return q.for_roster([(name, name) for name in agencies])


def _threshold(chosen: int | None) -> int:
    """The threshold asked for, never below the site's minimum (the default)."""
    least = _settings().min_anonymity_threshold
    if chosen is None:
        return least
    if chosen < least:
        typer.echo(f"--anonymity-threshold must be at least {least}, this site's minimum "
                   "(MAPS_MIN_ANONYMITY_THRESHOLD)", err=True)
        raise typer.Exit(2)
    return chosen


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
        help="KEY, KEY@VERSION or a definition file (.yaml): read SOURCE as an answers file "
             "(the format of maps score)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write the PDF here")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as one HTML file")] = None,
    partnership_name: Annotated[str | None, typer.Option(
        help="Partnership name for the report (default: the file's name)")] = None,
    title: Annotated[str | None, typer.Option(help="Round title for the report")] = None,
    anonymity_threshold: Annotated[int | None, typer.Option(
        help="Smallest group shown (default and least: MAPS_MIN_ANONYMITY_THRESHOLD)")] = None,
    agencies: Annotated[int | None, typer.Option(help="Agencies in the partnership")] = None,
    charts: Annotated[bool, typer.Option(help="Include the charts")] = True,
    appendix: Annotated[bool, typer.Option(
        help="Add the appendix of answers to every question")] = False,
):
    """Write a round's report as a PDF (--out) and/or an HTML file (--html)."""
    if out is None and html is None:
        typer.echo("Say where to write the report: --out FILE.pdf and/or --html FILE.html",
                   err=True)
        raise typer.Exit(2)
    if questionnaire is None and source.isdigit():
        _write_report(_round_context(int(source)), out=out, html=html, charts=charts,
                      appendix=appendix)
        return
    path = Path(source)
    anonymity_threshold = _threshold(anonymity_threshold)
    respondents = _answers_file(path)
    q = _with_roster(_questionnaire_ref(questionnaire or "multi-agency-working"), respondents)
    if not respondents:
        typer.echo(f"{path}: the file has no respondents", err=True)
        raise typer.Exit(2)
    context = _report_context(q, respondents, path, partnership_name=partnership_name,
                              title=title, anonymity_threshold=anonymity_threshold,
                              agencies=agencies)
    _write_report(context, out=out, html=html, charts=charts, appendix=appendix)


def _round_context(round_id: int):
    from sqlmodel import Session

    from app.db import make_engine
    from app.models import AssessmentRound
    from app.services import report
    from app.services.responses import ResponseError

    settings = _settings()
    catalogue = _catalogue(settings)
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session:
            round_ = session.get(AssessmentRound, round_id)
            if round_ is None:
                typer.echo(f"There is no round {round_id} in this database.", err=True)
                raise typer.Exit(2)
            try:
                return report.report_context(session, round_, catalogue)
            except ResponseError as exc:  # not closed yet, or its questionnaire is gone
                typer.echo(f"{exc.heading}: {exc.message}", err=True)
                raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _report_context(q, respondents, path: Path, *, partnership_name, title,
                    anonymity_threshold, agencies):
    from app.reports.context import build_context

    result = _score_file(q, respondents, path, anonymity_threshold=anonymity_threshold,
                         agencies=agencies)
    from app.reports.collaboration import build_collaboration
    from app.scoring.collaboration import collaboration_map

    context = build_context(
        partnership_name=(partnership_name or path.stem).strip() or path.stem,
        round_title=title or f"Answers from {path.name}", questionnaire=q, result=result)
    found = collaboration_map(q, respondents, threshold=anonymity_threshold)
    return dataclasses.replace(context, collaboration=build_collaboration(found))


def _write_report(context, *, out: Path | None, html: Path | None, charts: bool,
                  appendix: bool = False) -> None:
    from app.reports.pdf import html_to_pdf, render_html

    for target in (t for t in (out, html) if t is not None):
        if not target.parent.is_dir():
            typer.echo(f"Cannot write {target}: no folder {target.parent}", err=True)
            raise typer.Exit(2)
    try:
        if html is not None:
            html.write_text(render_html(context, charts=charts, appendix=appendix,
                                        self_contained=True),
                            encoding="utf-8")
            typer.echo(f"Wrote {html}")
        if out is not None:
            out.write_bytes(html_to_pdf(render_html(context, charts=charts, appendix=appendix)))
            typer.echo(f"Wrote {out} ({len(context.recommendations)} recommendations)")
    except OSError as exc:
        typer.echo(f"Cannot write the report: {exc.strerror} ({exc.filename})", err=True)
        raise typer.Exit(2) from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()
