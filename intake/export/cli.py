"""flask backoffice export: the batch export, by hand or from cron (docs/backoffice-export.md).

    flask --app app backoffice export                      # what was not exported yet, to BACKOFFICE_EXPORT_DIR
    flask --app app backoffice export --since 2026-04-01 --dir /srv/export --encoding cp932
    flask --app app backoffice export --receipt R2026-000123 --again

Exit status 1 when an application was refused (the others are written): cron mails the output.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app

from core.japan_time import JST
from core.pdf import PdfFontMissing
from intake.backoffice_cli import backoffice_cli
from intake.export import csv_format, service


@backoffice_cli.command("export")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only applications submitted from this date (JST midnight) or time (UTC).")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to write (default: BACKOFFICE_EXPORT_DIR).")
@click.option("--encoding", type=click.Choice(csv_format.ENCODINGS), default=None,
              help="Of the fields CSV (default: BACKOFFICE_EXPORT_ENCODING).")
@click.option("--format", "formats", default=None, help="Comma-separated formats (default: BACKOFFICE_EXPORT_FORMATS).")
@click.option("--receipt", "receipts", multiple=True, help="Only this 受付番号 (repeatable).")
@click.option("--again", is_flag=True, help="Export also what was exported before.")
def export_command(since: dt.datetime | None, directory: str | None, encoding: str | None, formats: str | None,
                   receipts: tuple[str, ...], again: bool) -> None:
    """Write one ZIP (+ .done) per submitted application not exported yet."""
    folder = directory or current_app.config.get("BACKOFFICE_EXPORT_DIR") or ""
    if not folder:
        raise click.UsageError("give --dir or set BACKOFFICE_EXPORT_DIR")
    if since is not None and since.tzinfo is None:
        if since.time() == dt.time(0):
            since = since.replace(tzinfo=JST)
        else:
            since = since.replace(tzinfo=dt.UTC)
    try:
        outcomes = service.export(Path(folder), since=since, again=again, encoding=encoding, formats=formats,
                                  receipt_numbers=receipts)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except PdfFontMissing as exc:
        raise click.ClickException(f"no Japanese font for form.pdf (looked in {', '.join(exc.looked_in)}): "
                                   "set PDF_FONT_PATH, or leave pdf out of --format") from exc
    for o in outcomes:
        if o.ok:
            click.echo(f"exported\t{o.receipt_number}\t{o.file}")
        else:
            click.echo(f"REFUSED\t{o.receipt_number}\t{o.code}\t{o.detail}", err=True)
    written = sum(o.ok for o in outcomes)
    click.echo(f"{written} exported, {len(outcomes) - written} refused.")
    if written != len(outcomes):
        raise SystemExit(1)
