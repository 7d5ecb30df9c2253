"""Upload rules: size limit (413), type from the content, random names, encrypted, downloads only."""
import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from core.uploads import UploadRejected, download, read, store

PDF = b"%PDF-1.7\n" + b"x" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def _file(data, name="申請書.pdf", mimetype="application/pdf"):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=mimetype)


def test_type_comes_from_the_content_not_the_name(app, tmp_path):
    with app.test_request_context():
        app.config["UPLOAD_DIR"] = str(tmp_path)
        assert store(_file(PNG, name="photo.pdf"), ("pdf", "png"), 10_000).kind == "png"
        with pytest.raises(UploadRejected, match="PDF"):
            store(_file(b"<html><script>alert(1)</script>", name="x.pdf"), ("pdf",), 10_000)


def test_size_limit_is_413(app, tmp_path):
    with app.test_request_context():
        app.config["UPLOAD_DIR"] = str(tmp_path)
        with pytest.raises(RequestEntityTooLarge):
            store(_file(PDF), ("pdf",), 100)


def test_random_name_encrypted_on_disk_and_served_as_a_download(app, tmp_path):
    with app.test_request_context():
        app.config["UPLOAD_DIR"] = str(tmp_path)
        stored = store(_file(PDF, name="../../etc/passwd"), ("pdf",), 10_000)
        assert len(stored.name) == 32 and "passwd" not in stored.name
        on_disk = (tmp_path / stored.name).read_bytes()
        assert b"%PDF" not in on_disk and on_disk.startswith(b"v1.")
        assert read(stored.name) == PDF
        r = download(stored.name, "申請書.pdf")
        assert r.mimetype == "application/octet-stream"
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in r.headers["Content-Security-Policy"]


def test_request_over_the_global_limit_is_413_with_a_japanese_page():
    from app import create_app
    fresh = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "MAX_CONTENT_LENGTH": 1000,
                        "WTF_CSRF_ENABLED": False})

    @fresh.post("/upload-probe")
    def upload_probe():
        from flask import request
        return str(len(request.files["f"].read()))

    r = fresh.test_client().post("/upload-probe", data={"f": (io.BytesIO(b"x" * 5000), "big.pdf")},
                                 content_type="multipart/form-data")
    assert r.status_code == 413 and "ファイルが大きすぎます" in r.get_data(as_text=True)
