"""The hand-over at the end of the contract: every record out in open formats, then everything erased
with a certificate (docs/ops/handover.md).

``flask export-all --out DIR``
    Every table (the database's, not only the models'): ``tables/<table>.jsonl`` and
    ``tables/<table>.csv`` (UTF-8 with BOM), read through the models' tables so the encrypted
    personal fields are decrypted for the next operator. Binary values (attachments, pack files)
    are written as files under ``files/<table>/<column>/`` and the cell names that file. The files
    of the upload folder decrypted (``uploads/``), the knowledge pack's files (``pack/files/``) and
    every published version of it (``pack/versions/<city>/v<N>/``). ``manifest.json`` (rows per
    table, SHA-256 and size of every file) and ``SHA256SUMS`` (``sha256sum -c`` reads it). One
    read snapshot for all tables. Audited (``data.export_all``, with the manifest's SHA-256).

``flask erase-all --operator NAME``
    After confirmation (type the municipality id, or ``--confirm <id>`` in scripts): records
    ``data.erase_all`` in the audit log, counts everything, drops every table and recreates the
    empty schema (Alembic), deletes the uploaded files, the backups of BACKUP_DIR, the keys
    backups ``flask backup keys`` wrote (where they still are), the key files and the audit
    anchors; then writes the データ消去証明書 (HTML, and its facts as JSON): what was erased (tables
    and rows, files and bytes, keys), when (JST), by whom, the last export's manifest hashes and
    the audit chain's last record (the erasure's own). After erasure the certificate is the
    record: nothing is left in the database to audit it. HTML only: no PDF library is installed
    (print it to PDF from a browser).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from jinja2 import Environment
from sqlalchemy import Engine, MetaData, Table, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from core import audit, backup, crypto
from core.city import city_name
from core.db import db
from core.encrypted import EncryptedType
from core.japan_time import JST
from core.keyring import DecryptError, UnknownKeyError
from core.models import PackVersion
from core.pack_versions import files_of
from core.uploads import folder as upload_folder
from core.uploads import sniff

EXPORT_FORMAT = "eservice-export/1"
SUMS = "SHA256SUMS"
BATCH = 1000
EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "heic": ".heic"}


class HandoverError(RuntimeError):
    """The export or the erasure refused; the message says why."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _jst(moment: dt.datetime) -> str:
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction for the whole export (REPEATABLE READ on PostgreSQL)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as trans:
            yield conn
            trans.rollback()


def _tables(conn: Connection) -> list[Table]:
    """Every table of the database: the models' tables (their column types decrypt), then the
    others (alembic_version, …) as reflected."""
    present = set(backup.table_names(conn))
    known = [t for t in db.metadata.sorted_tables if t.name in present]
    reflected = MetaData()
    others = [Table(name, reflected, autoload_with=conn) for name in sorted(present - {t.name for t in known})]
    return known + others


# --- export -------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    out: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    sums_sha256: str


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_binary(out: Path, table: Table, column: str, key: str, data: bytes) -> str:
    kind = sniff(data[:16])
    rel = Path("files") / table.name / column / (key + EXTENSIONS.get(kind or "", ".bin"))
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return rel.as_posix()


def _row_key(table: Table, row: Mapping[str, Any], number: int) -> str:
    pk = [str(row[c.name]) for c in table.primary_key.columns]
    key = "_".join(pk) if pk else str(number)
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)[:120]


def _export_table(conn: Connection, table: Table, out: Path) -> dict[str, Any]:
    names = [c.name for c in table.columns]
    query = select(table)
    if table.primary_key.columns:
        query = query.order_by(*table.primary_key.columns)
    jsonl = out / "tables" / f"{table.name}.jsonl"
    csv_path = out / "tables" / f"{table.name}.csv"
    rows = 0
    with jsonl.open("w", encoding="utf-8", newline="\n") as jf, csv_path.open("w", encoding="utf-8-sig", newline="") as cf:
        writer = csv.writer(cf)
        writer.writerow(names)
        result = conn.execution_options(yield_per=BATCH).execute(query).mappings()
        for number, row in enumerate(result, start=1):
            record = {}
            for name in names:
                value = row[name]
                if isinstance(value, bytes | bytearray | memoryview):
                    value = _write_binary(out, table, name, _row_key(table, row, number), bytes(value))
                record[name] = _plain(value)
            jf.write(json.dumps(record, ensure_ascii=False) + "\n")
            writer.writerow([_csv_cell(record[n]) for n in names])
            rows += 1
    decrypted = [c.name for c in table.columns if isinstance(c.type, EncryptedType)]
    return {"rows": rows, "jsonl": jsonl.relative_to(out).as_posix(), "csv": csv_path.relative_to(out).as_posix(),
            "columns": names, "decrypted_columns": decrypted}


def _export_uploads(config: Mapping[str, Any], out: Path) -> int:
    """The upload folder's files, decrypted, named ``<stored name>.<type>``."""
    source = upload_folder(config)
    keyring = current_app.extensions["keyring"]
    count = 0
    if not source.is_dir():
        return 0
    target = out / "uploads"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            data = keyring.decrypt(path.read_text(encoding="ascii"), f"upload.{path.name}")
        except (DecryptError, UnknownKeyError, UnicodeDecodeError) as exc:
            raise HandoverError(f"uploaded file {path.name} does not decrypt: {exc}") from None
        (target / (path.name + EXTENSIONS.get(sniff(data[:16]) or "", ".bin"))).write_bytes(data)
        count += 1
    return count


def _export_pack(out: Path, pack_dir: Path | None) -> dict[str, Any]:
    """The pack's files as in the repository, and every numbered version of every city in the database."""
    files = 0
    if pack_dir is not None and pack_dir.is_dir():
        for path in sorted(p for p in pack_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            target = out / "pack" / "files" / path.relative_to(pack_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            files += 1
    versions = []
    for version in db.session.scalars(select(PackVersion).where(PackVersion.number.is_not(None))
                                      .order_by(PackVersion.municipality, PackVersion.number)):
        folder = out / "pack" / "versions" / version.municipality / f"v{version.number}"
        for rel, content in files_of(version).items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        versions.append({"municipality": version.municipality, "number": version.number, "state": version.state,
                         "reason": version.reason, "author": version.author, "published_by": version.published_by,
                         "published_at": _plain(version.published_at), "effective_from": _plain(version.effective_from),
                         "folder": folder.relative_to(out).as_posix()})
    (out / "pack").mkdir(exist_ok=True)
    (out / "pack" / "versions.json").write_text(json.dumps(versions, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    return {"files": files, "versions": len(versions)}


README = """このフォルダは、契約終了時に引き渡す全データです（{municipality}、{created}）。

- tables/<テーブル名>.jsonl と .csv（UTF-8、CSVはBOM付き）：全テーブルの全行。暗号化されていた個人情報は復号済み。
  バイナリ値（添付ファイルなど）は files/<テーブル>/<列>/ にファイルとして置き、セルにはそのパスを書いています。
- uploads/：アップロードフォルダのファイル（復号済み）。
- pack/files/：ナレッジパック（手続き・ルール）のファイル。pack/versions/：データベースに保存された各版。
- manifest.json：テーブルごとの行数、全ファイルの SHA-256 とサイズ。
- SHA256SUMS：`sha256sum -c SHA256SUMS` で全ファイル（manifest.json を含む）を確認できます。

個人情報を含みます。受け取った事業者の管理下で、暗号化された保管場所に置いてください。
"""


def export_all(out: Path, config: Mapping[str, Any], pack_dir: Path | None) -> ExportResult:
    """Everything, decrypted, into ``out`` (a new or empty folder); see the module docstring."""
    if out.exists() and any(out.iterdir()):
        raise HandoverError(f"{out} is not empty: export into a new folder")
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    (out / "tables").mkdir()
    now = _now()
    tables: dict[str, Any] = {}
    with _snapshot(db.engine) as conn:
        revision = backup.alembic_revision(conn)
        for table in _tables(conn):
            tables[table.name] = _export_table(conn, table, out)
    uploads = _export_uploads(config, out)
    pack = _export_pack(out, pack_dir)
    municipality = config.get("MUNICIPALITY", "")
    (out / "README.txt").write_text(README.format(municipality=municipality, created=_jst(now)), encoding="utf-8")
    files = {p.relative_to(out).as_posix(): {"sha256": backup.sha256_file(p), "bytes": p.stat().st_size}
             for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = {
        "format": EXPORT_FORMAT, "created_at": now.isoformat(timespec="seconds"), "created_at_jst": _jst(now),
        "municipality": municipality, "app_version": backup.app_version(), "alembic_revision": revision,
        "dialect": db.engine.dialect.name, "tables": tables, "uploads": uploads, "pack": pack,
        "encoding": {"jsonl": "UTF-8", "csv": "UTF-8 with BOM, RFC 4180"},
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [f"{info['sha256']}  {rel}" for rel, info in files.items()]
    lines.append(f"{backup.sha256_file(out / 'manifest.json')}  manifest.json")
    (out / SUMS).write_text("\n".join(sorted(lines, key=lambda line: line[66:])) + "\n", encoding="utf-8")
    return ExportResult(out, manifest, backup.sha256_file(out / "manifest.json"), backup.sha256_file(out / SUMS))


def verify_export(out: Path) -> list[str]:
    """Problems of an export folder against its SHA256SUMS (empty: all files as written)."""
    sums = out / SUMS
    if not sums.is_file():
        return [f"{out}: no {SUMS}"]
    problems = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        path = out / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif backup.sha256_file(path) != digest:
            problems.append(f"{rel}: SHA-256 differs")
    return problems


# --- erasure ------------------------------------------------------------------------------------

@dataclass
class FileSet:
    what: str
    path: str
    files: int = 0
    bytes: int = 0
    state: str = "erased"


@dataclass
class Erasure:
    municipality: str
    operator: str
    started: dt.datetime
    finished: dt.datetime | None = None
    tables: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    files: list[FileSet] = field(default_factory=list)
    keys: list[FileSet] = field(default_factory=list)
    export: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    certificate: Path | None = None
    certificate_sha256: str = ""


def _tree_size(path: Path) -> tuple[int, int]:
    if path.is_file():
        return 1, path.stat().st_size
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files)


def _erase_path(what: str, path: Path, *, contents_only: bool = True) -> FileSet:
    count, size = _tree_size(path)
    entry = FileSet(what, str(path), count, size)
    if not path.exists():
        entry.state = "absent"
    elif path.is_dir():
        for child in list(path.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        if not contents_only:
            path.rmdir()
    else:
        path.unlink()
    return entry


def last_export(export_dir: Path | None) -> dict[str, Any]:
    """The export the certificate names: the folder given (checked against its SHA256SUMS), else the
    latest ``data.export_all`` audit record."""
    if export_dir is not None:
        problems = verify_export(export_dir)
        if problems:
            raise HandoverError(f"the export {export_dir} does not match its {SUMS}: " + "; ".join(problems[:5]))
        manifest = json.loads((export_dir / "manifest.json").read_text(encoding="utf-8"))
        return {"path": str(export_dir.resolve()), "created_at_jst": manifest.get("created_at_jst", ""),
                "manifest_sha256": backup.sha256_file(export_dir / "manifest.json"),
                "sums_sha256": backup.sha256_file(export_dir / SUMS), "verified": True,
                "rows": sum(t["rows"] for t in manifest.get("tables", {}).values())}
    t = audit.AuditRecord.__table__
    row = db.session.execute(select(t.c.id, t.c.at, t.c.details, t.c.hash)
                             .where(t.c.action == "data.export_all", t.c.result == "ok")
                             .order_by(t.c.id.desc()).limit(1)).first()
    if row is None:
        return {}
    details = json.loads(row.details or "{}")
    path = Path(details.get("file", ""))
    verified = bool(details.get("file")) and path.is_dir() and not verify_export(path)
    return {"path": details.get("file", ""), "created_at_jst": _jst(row.at.replace(tzinfo=row.at.tzinfo or dt.UTC)),
            "manifest_sha256": details.get("sha256", ""), "sums_sha256": details.get("sums_sha256", ""),
            "verified": verified, "rows": details.get("count"), "audit_id": row.id, "audit_hash": row.hash}


def _drop_everything(engine: Engine) -> None:
    """Every table dropped (and, on PostgreSQL, the audit guard function the migrations create),
    in one transaction; SQLite's freed pages are then overwritten (VACUUM)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        reflected = MetaData()
        reflected.reflect(conn)
        reflected.drop_all(conn)
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION IF EXISTS audit_append_only() CASCADE"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")


def _key_backups_recorded() -> list[Path]:
    t = audit.AuditRecord.__table__
    paths = []
    for details in db.session.scalars(select(t.c.details).where(t.c.action == "backup.keys", t.c.result == "ok")):
        name = json.loads(details or "{}").get("file")
        if name and Path(name) not in paths:
            paths.append(Path(name))
    return paths


def erase_all(config: Mapping[str, Any], operator: str, certificate_dir: Path, export: Mapping[str, Any],
              echo: Callable[[str], None] = print) -> Erasure:
    """Erase every table, file, backup and key this service keeps; the certificate (see the module)."""
    erasure = Erasure(municipality=str(config.get("MUNICIPALITY", "")), operator=operator, started=_now())
    erasure.export = dict(export)
    try:
        city = city_name("ja")
    except Exception:  # the pack may not load: the certificate names the municipality id then
        city = ""
    check = audit.verify_chain()
    key_backups = _key_backups_recorded()
    with db.engine.connect() as conn:
        erasure.tables = backup.row_counts(conn)
    audit.record("data.erase_all", target="all_data", actor=operator[:64], role="cli",
                 details={"count": sum(erasure.tables.values()), "tables": len(erasure.tables),
                          "sha256": export.get("manifest_sha256", "")})
    with db.engine.connect() as conn:
        head = backup.audit_head(conn)
        erasure.tables = backup.row_counts(conn)  # the erasure's own record counted too
    erasure.audit = {"verified": check.ok, "problem": check.problem, **head}
    echo(f"audit chain {'verified' if check.ok else 'DOES NOT VERIFY: ' + check.problem}; "
         f"last record {head['last_id']} {head['last_hash']}")

    db.session.remove()
    for engine in db.engines.values():
        _drop_everything(engine)
        engine.dispose()
    echo(f"dropped {len(erasure.tables)} table(s) with {sum(erasure.tables.values())} row(s)")
    upgrade()  # the empty schema again (Alembic), ready for nothing or a new start
    with db.engine.connect() as conn:
        erasure.after = backup.row_counts(conn)
    db.engine.dispose()

    instance = Path(config["INSTANCE_PATH"])
    erasure.files.append(_erase_path("アップロードされたファイル", upload_folder(config)))
    erasure.files.append(_erase_path("バックアップ（BACKUP_DIR）", Path(config["BACKUP_DIR"])))
    erasure.files.append(_erase_path("パックの版の展開先", instance / "pack-versions"))
    erasure.files.append(_erase_path("監査ログのアンカー", Path(config["AUDIT_ANCHOR_PATH"])))
    for path in key_backups:
        if path.is_file() and backup.is_keys_backup(path):
            erasure.keys.append(_erase_path("鍵のバックアップ（flask backup keys）", path))
        else:
            erasure.keys.append(FileSet("鍵のバックアップ（flask backup keys）", str(path), state="unreachable"))
    for path in crypto.key_files(config):
        erasure.keys.append(_erase_path("データ鍵ファイル", path))
    if str(config.get("DATA_KEYS") or "").strip():
        erasure.keys.append(FileSet("データ鍵（環境変数 DATA_KEYS）", "DATA_KEYS", state="environment"))
    if str(config.get("BLIND_INDEX_KEY") or "").strip():
        erasure.keys.append(FileSet("検索用索引の鍵（環境変数 BLIND_INDEX_KEY）", "BLIND_INDEX_KEY", state="environment"))
    if str(config.get("AUDIT_HMAC_KEY") or "").strip():
        erasure.keys.append(FileSet("監査ログの鍵（環境変数 AUDIT_HMAC_KEY）", "AUDIT_HMAC_KEY", state="environment"))
    else:
        erasure.keys.append(_erase_path("監査ログの鍵ファイル", instance / "audit-key"))
    erasure.keys.append(_erase_path("セッション署名の鍵ファイル", instance / "secret_key"))
    current_app.extensions.pop("audit_key", None)  # nothing may be chained with the erased key
    erasure.finished = _now()
    erasure.certificate = write_certificate(erasure, city, certificate_dir)
    erasure.certificate_sha256 = backup.sha256_file(erasure.certificate)
    return erasure


# --- the certificate ----------------------------------------------------------------------------

STATES = {"erased": "消去済み", "absent": "なし（既に存在しない）", "unreachable": "この場所にない：媒体ごと破棄してください",
          "environment": "環境変数：サービスの設定から削除してください"}

CERTIFICATE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>データ消去証明書</title>
<style>body{font-family:sans-serif;max-width:52em;margin:2em auto;line-height:1.6}table{border-collapse:collapse;
width:100%;margin:.5em 0 1.5em}th,td{border:1px solid #555;padding:.25em .5em;text-align:left;vertical-align:top}
td.n{text-align:right}code{word-break:break-all}.sign td{height:3em}@media print{body{margin:0}}</style></head>
<body>
<h1>データ消去証明書</h1>
<p>下記のとおり、{{ city or e.municipality }}（{{ e.municipality }}）のくらしの手続きサービスが保管していたデータを消去したことを証明します。</p>
<table>
<tr><th>実施者</th><td>{{ e.operator }}</td></tr>
<tr><th>開始</th><td>{{ started }}</td></tr>
<tr><th>完了</th><td>{{ finished }}</td></tr>
<tr><th>方法</th><td>データベース：全テーブルを削除（DROP TABLE）し、空のスキーマを作り直しました{% if sqlite %}（SQLite：secure_delete と VACUUM で空き領域も上書き）{% endif %}。
ファイル：削除。鍵：削除（暗号化消去：個人情報は保存時に暗号化されており、鍵がなければどの複製も読めません）。
記憶媒体そのものの消去・破壊は、データセンター・機器の管理者の手順によります。</td></tr>
</table>
<h2>データベースのテーブル</h2>
<table><tr><th>テーブル</th><th>消去した行数</th><th>消去後の行数</th></tr>
{% for name, rows in e.tables.items() %}<tr><td><code>{{ name }}</code></td><td class="n">{{ "{:,}".format(rows) }}</td><td class="n">{{ e.after.get(name, 0) }}</td></tr>
{% endfor %}<tr><th>合計</th><th class="n">{{ "{:,}".format(total_rows) }}</th><th class="n">{{ total_after }}</th></tr></table>
<p>消去後に残るのは空のスキーマとその版（<code>alembic_version</code>）だけです。</p>
<h2>ファイル</h2>
<table><tr><th>対象</th><th>場所</th><th>ファイル数</th><th>バイト数</th><th>状態</th></tr>
{% for f in e.files %}<tr><td>{{ f.what }}</td><td><code>{{ f.path }}</code></td><td class="n">{{ f.files }}</td><td class="n">{{ "{:,}".format(f.bytes) }}</td><td>{{ states[f.state] }}</td></tr>
{% endfor %}</table>
<h2>鍵</h2>
<table><tr><th>対象</th><th>場所</th><th>状態</th></tr>
{% for k in e.keys %}<tr><td>{{ k.what }}</td><td><code>{{ k.path }}</code></td><td>{{ states[k.state] }}</td></tr>
{% endfor %}</table>
<h2>消去前に引き渡したデータ（flask export-all）</h2>
{% if e.export %}<table>
<tr><th>場所</th><td><code>{{ e.export.path }}</code></td></tr>
<tr><th>作成</th><td>{{ e.export.created_at_jst }}</td></tr>
<tr><th>manifest.json の SHA-256</th><td><code>{{ e.export.manifest_sha256 }}</code></td></tr>
<tr><th>SHA256SUMS の SHA-256</th><td><code>{{ e.export.sums_sha256 or "（監査記録にない）" }}</code></td></tr>
<tr><th>消去時の照合</th><td>{{ "SHA256SUMS と一致" if e.export.verified else "照合していない（フォルダがこの場所にない）" }}</td></tr>
</table>{% else %}<p>引き渡しデータの記録はありません（<code>--no-export</code>）。</p>{% endif %}
<h2>監査ログ</h2>
<table>
<tr><th>消去前の検証</th><td>{{ "改ざんなし" if e.audit.verified else "検証できない：" ~ e.audit.problem }}</td></tr>
<tr><th>記録数</th><td>{{ e.audit.count }}</td></tr>
<tr><th>最後の記録（この消去の記録 data.erase_all）</th><td>ID {{ e.audit.last_id }}、ハッシュ <code>{{ e.audit.last_hash }}</code></td></tr>
</table>
<p>監査ログも消去したため、消去後はこの証明書が記録です。印刷し、署名して保管してください。</p>
<table class="sign"><tr><th>実施者 署名</th><td></td></tr><tr><th>確認者（市） 署名</th><td></td></tr></table>
</body></html>
"""


def write_certificate(erasure: Erasure, city: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    assert erasure.finished is not None
    env = Environment(autoescape=True)
    html = env.from_string(CERTIFICATE).render(
        e=erasure, city=city, started=_jst(erasure.started), finished=_jst(erasure.finished), states=STATES,
        total_rows=sum(erasure.tables.values()), total_after=sum(erasure.after.values()),
        sqlite=db.engine.dialect.name == "sqlite")
    stamp = erasure.finished.astimezone(JST).strftime("%Y%m%d-%H%M%S")
    path = directory / f"erasure-certificate-{erasure.municipality}-{stamp}.html"
    path.write_text(html, encoding="utf-8")
    facts = {"municipality": erasure.municipality, "operator": erasure.operator, "started": _jst(erasure.started),
             "finished": _jst(erasure.finished), "tables": erasure.tables, "after": erasure.after,
             "files": [vars(f) for f in erasure.files], "keys": [vars(k) for k in erasure.keys],
             "export": erasure.export, "audit": erasure.audit,
             "certificate_html_sha256": hashlib.sha256(html.encode("utf-8")).hexdigest()}
    path.with_suffix(".json").write_text(json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# --- CLI ----------------------------------------------------------------------------------------

def _pack_dir() -> Path | None:
    source = current_app.extensions.get("pack_source")
    return source.repository / current_app.config["MUNICIPALITY"] if source is not None else None


@click.command("export-all")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder for everything, decrypted.")
@click.option("--operator", default="system", show_default=True, help="Who runs it (written to the audit log).")
@with_appcontext
def export_all_command(out: Path, operator: str) -> None:
    """Every record of every table (JSON Lines and CSV, personal fields decrypted), every uploaded file,
    the knowledge pack and its versions, with manifest.json and SHA256SUMS: the hand-over to the next operator."""
    try:
        result = export_all(out, current_app.config, _pack_dir())
    except (HandoverError, OSError, SQLAlchemyError) as exc:
        audit.record("data.export_all", target="all_data", result="failed", actor=operator[:64], role="cli",
                     details={"file": str(out.resolve()), "reason": str(exc)[:200]})
        raise click.ClickException(str(exc)) from None
    m = result.manifest
    rows = sum(t["rows"] for t in m["tables"].values())
    audit.record("data.export_all", target="all_data", actor=operator[:64], role="cli",
                 details={"file": str(out.resolve()), "count": rows, "tables": len(m["tables"]),
                          "sha256": result.manifest_sha256, "sums_sha256": result.sums_sha256})
    click.echo(f"exported {len(m['tables'])} table(s), {rows} row(s), {m['uploads']} uploaded file(s), "
               f"{m['pack']['files']} pack file(s) and {m['pack']['versions']} pack version(s) into {out}")
    click.echo(f"manifest.json SHA-256 {result.manifest_sha256}")
    click.echo(f"SHA256SUMS    SHA-256 {result.sums_sha256}  (check: cd {out} && sha256sum -c {SUMS})")
    click.echo("It holds personal data in clear: hand it over encrypted, and keep it nowhere else.")


@click.command("erase-all")
@click.option("--operator", required=True, help="The person who erases (named on the certificate).")
@click.option("--confirm", "confirm", help="The municipality id, for scripts (otherwise it is asked for).")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The export folder of `flask export-all` (checked; default: the last export in the audit log).")
@click.option("--no-export", is_flag=True, help="Erase although no export was made (the certificate says so).")
@click.option("--certificate-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the certificate goes (default: INSTANCE_PATH/certificates).")
@with_appcontext
def erase_all_command(operator: str, confirm: str | None, export_dir: Path | None, no_export: bool,
                      certificate_dir: Path | None) -> None:
    """Erase ALL data: every table, the uploaded files, the backups, the keys; then a データ消去証明書 (HTML)."""
    config = current_app.config
    municipality = str(config["MUNICIPALITY"])
    if not operator.strip():
        raise click.ClickException("--operator must name a person")
    try:
        export = {} if no_export else last_export(export_dir)
    except (HandoverError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not export and not no_export:
        raise click.ClickException("no export found: run `flask export-all --out DIR` first "
                                   "(or pass --no-export to erase without one)")
    if export and not export.get("verified"):
        click.echo(f"warning: the export {export.get('path')} could not be checked here "
                   "(the certificate names its manifest hash from the audit log)", err=True)
    click.echo(f"This erases every table, uploaded file, backup and key of {municipality!r} in "
               f"{db.engine.url.render_as_string(hide_password=True)}. It cannot be undone.")
    typed = confirm if confirm is not None else click.prompt(f"Type the municipality id ({municipality}) to go on")
    if typed != municipality:
        raise click.ClickException("not confirmed: nothing was erased")
    directory = certificate_dir or Path(config["INSTANCE_PATH"]) / "certificates"
    try:
        erasure = erase_all(config, operator.strip(), directory, export, echo=click.echo)
    except (HandoverError, audit.AuditError, OSError, SQLAlchemyError) as exc:
        raise click.ClickException(f"the erasure stopped: {exc}") from None
    click.echo(f"erased {sum(erasure.tables.values())} row(s) in {len(erasure.tables)} table(s), "
               f"{sum(f.files for f in erasure.files)} file(s), {sum(k.state == 'erased' for k in erasure.keys)} key file(s)")
    for entry in erasure.keys:
        if entry.state in ("unreachable", "environment"):
            click.echo(f"still to do by hand: {entry.what} {entry.path}: {STATES[entry.state]}")
    click.echo(f"certificate {erasure.certificate} (SHA-256 {erasure.certificate_sha256}); "
               "HTML only: no PDF library is installed, print it to PDF from a browser")
