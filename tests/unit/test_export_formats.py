"""The export's plain parts (intake/export): flattening for the CSV, Shift_JIS reports, the
manifest and the atomic write, without an app."""
import hashlib
import json
import zipfile

import pytest

from intake.export import bundle, csv_format
from intake.export.item import ExportItem


def _item(fields: dict, encoding: str = "utf-8-sig") -> ExportItem:
    return ExportItem(body={"receipt_number": "R1", "procedure_id": "p"}, fields=fields, attachments=[], payload=b"",
                      signature_b64="", certificate_pem="", chain_pem="", revocation_evidence=[], encoding=encoding)


def test_nested_values_are_flattened_for_the_csv():
    fields = {"name": "山田", "address": {"postal_code": "6750064", "city": "市"}, "basis": ["a", "b"],
              "plan": [{"name": "f1", "sha256": "x"}, {"name": "f2", "sha256": "y"}],
              "children": [{"child_name": "花", "age": 3}], "floors": 2, "agree": True, "note": None}
    header, row = csv_format.rows(_item(fields))
    assert dict(zip(header, row, strict=True)) == {
        "receipt_number": "R1", "name": "山田", "address.postal_code": "6750064", "address.city": "市",
        "basis": "a|b", "plan": "f1|f2", "children[0].child_name": "花", "children[0].age": 3, "floors": 2,
        "agree": True, "note": None}


def test_cp932_reports_each_unmappable_character_with_its_field():
    item = _item({"name": "𠮷田", "note": "①髙﨑", "site": "A—B😀"}, "cp932")
    assert csv_format.unmappable(item) == [
        {"field": "name", "char": "𠮷", "code_point": "U+20BB7"},
        {"field": "site", "char": "—", "code_point": "U+2014"},
        {"field": "site", "char": "😀", "code_point": "U+1F600"}]
    with pytest.raises(csv_format.ShiftJisUnmappable):
        csv_format.files(item)
    fine = csv_format.files(_item({"note": "①髙﨑"}, "cp932"))[0][1]
    assert fine.decode("cp932").splitlines()[1] == "R1,①髙﨑"


def test_the_zip_holds_a_manifest_and_its_done_marker_names_its_digest(tmp_path):
    path = bundle.write(tmp_path, "R1-r1", [("a.txt", b"one"), ("b/c.bin", b"\x00")], about={"receipt_number": "R1"})
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert zf.read("SHA256SUMS").decode() == (
            hashlib.sha256(b"one").hexdigest() + "  a.txt\n" + hashlib.sha256(bytes(1)).hexdigest() + "  b/c.bin\n")
    assert manifest["receipt_number"] == "R1" and [f["path"] for f in manifest["files"]] == ["a.txt", "b/c.bin"]
    assert (tmp_path / "R1-r1.zip.done").read_text() == f"{hashlib.sha256(path.read_bytes()).hexdigest()}  R1-r1.zip\n"
    with pytest.raises(ValueError):
        bundle.write(tmp_path, "R2-r1", [("a", b""), ("a", b"")], about={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1-r1.zip", "R1-r1.zip.done"]


def test_a_failed_write_leaves_neither_zip_nor_marker_and_an_old_marker_goes_first(tmp_path, monkeypatch):
    bundle.write(tmp_path, "R1-r1", [("a.txt", b"one")], about={})

    def broken(*_a, **_k):
        raise OSError("no space left on device")

    monkeypatch.setattr(bundle.os, "fsync", broken)
    with pytest.raises(OSError):
        bundle.write(tmp_path, "R1-r1", [("a.txt", b"two")], about={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["R1-r1.zip"]  # the old ZIP, no marker vouching for it


def test_safe_names():
    assert bundle.safe_name("配置図 (1).pdf") == "1_.pdf"
    assert bundle.safe_name("配置図") == "file"
    assert bundle.safe_name("../../etc/passwd") == "etc_passwd"
