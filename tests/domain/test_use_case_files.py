"""The checks on a use case's files (evangelists.use_case_files): every refusal, and what
is kept of what passes."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from evangelists.use_case_files import (
    ALLOWED_TYPES,
    FileRefused,
    check_count,
    check_file,
    check_filename,
    content_disposition,
    extension_of,
)

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


def ooxml(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return buffer.getvalue()


def odf(mimetype: str, *, first: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if not first:
            archive.writestr("content.xml", "<x/>")
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        archive.writestr("content.xml" if first else "styles.xml", "<x/>")
    return buffer.getvalue()


GOOD = {
    "報告.pdf": PDF, "slides.pptx": ooxml("ppt/"), "手順書.docx": ooxml("word/"), "一覧.xlsx": ooxml("xl/"),
    "発表.odp": odf("application/vnd.oasis.opendocument.presentation"),
    "文書.odt": odf("application/vnd.oasis.opendocument.text"),
    "表.ods": odf("application/vnd.oasis.opendocument.spreadsheet"),
    "写真.PNG": PNG, "photo.jpg": JPEG, "photo.jpeg": JPEG,
    "避難所.csv": "名称,住所\n公民館,札幌市\n".encode(), "readme.txt": "\ufeffはじめに\n".encode(),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_allowed_type_passes_with_its_served_type_and_digest(name):
    data = GOOD[name]
    checked = check_file(name, data)
    assert checked.filename == name and checked.size == len(data)
    assert checked.content_type == ALLOWED_TYPES[extension_of(name)]
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_names_are_nfc_and_kept_otherwise():
    decomposed = "カ\u3099イト\u3099 第1版.pdf"  # ガイド in combining marks
    assert check_filename(decomposed) == "ガイド 第1版.pdf"
    assert check_filename("  データ公開の手引き (2026).pdf ") == "データ公開の手引き (2026).pdf"


def refusal(name, data=PDF, **limits) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        check_file(name, data, **limits)
    assert caught.value.field == "files"
    return caught.value


@pytest.mark.parametrize(("name", "reason"), [
    ("", "no_name"), ("   ", "no_name"), (None, "no_name"),
    ("../etc/passwd.pdf", "path_characters"), ("a/b.pdf", "path_characters"), ("a\\b.pdf", "path_characters"),
    ("a..b.pdf", "path_characters"),
    ("a\x00b.pdf", "control_characters"), ("a\nb.pdf", "control_characters"), ("a\u202eb.pdf", "control_characters"),
    (".hidden.pdf", "leading_dot"), ("x" * 201 + ".pdf", "name_too_long"),
])
def test_names_with_path_or_control_characters_are_refused(name, reason):
    refused = refusal(name)
    assert refused.reason == reason
    if reason == "control_characters":
        assert "\x00" not in refused.params["name"] and "\n" not in refused.params["name"]


@pytest.mark.parametrize(("name", "extension"), [("script.exe", "exe"), ("page.html", "html"), ("noextension", "—"),
                                                 ("image.svg", "svg"), ("archive.zip", "zip")])
def test_other_types_are_refused_naming_the_extension(name, extension):
    refused = refusal(name)
    assert (refused.reason, refused.params) == ("not_allowed", {"name": name, "extension": extension})


def test_empty_and_oversize_files_are_refused():
    assert refusal("a.pdf", b"").reason == "empty"
    refused = refusal("big.pdf", PDF + b"x" * 2 * 1024 * 1024, max_bytes=2 * 1024 * 1024)
    assert (refused.reason, refused.params["limit"], refused.params["name"]) == ("too_large", "2 MB", "big.pdf")
    assert refusal("b.pdf", PDF * 3000, max_bytes=64 * 1024).params["limit"] == "64 KB"
    assert refusal("c.pdf", PDF * 300_000, max_bytes=10 * 1024 * 1024).params["limit"] == "10 MB"
    assert check_file("edge.pdf", PDF.ljust(1024, b" "), max_bytes=1024).size == 1024


@pytest.mark.parametrize(("name", "data"), [
    ("slides.pdf", PNG), ("photo.png", JPEG), ("photo.jpg", PNG), ("doc.pdf", b"<html><script>x</script>"),
    ("slides.pptx", ooxml("word/")), ("doc.docx", b"PK\x03\x04 not really a zip"), ("table.xlsx", PDF),
    ("slides.odp", odf("application/vnd.oasis.opendocument.text")), ("text.odt", ooxml("word/")),
    ("sheet.ods", odf("application/vnd.oasis.opendocument.spreadsheet", first=False)),
])
def test_content_that_does_not_match_the_name_is_refused(name, data):
    refused = refusal(name, data)
    assert (refused.reason, refused.params["extension"]) == ("content_mismatch", extension_of(name).upper())


def test_a_zip_bomb_is_judged_by_its_directory_without_extracting():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("mimetype")
        archive.writestr(info, b"\x00" * (50 * 1024 * 1024), compress_type=zipfile.ZIP_DEFLATED)
    bomb = buffer.getvalue()
    assert len(bomb) < 100_000
    assert refusal("bomb.odt", bomb).reason == "content_mismatch"


def test_a_zip_of_too_many_entries_is_refused_before_its_directory_is_read(monkeypatch):
    """The end-of-directory record's count decides: zipfile is never asked to build a
    directory of more entries than the limit (security review of issue 22)."""
    import evangelists.use_case_files as files

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(30):
            archive.writestr(f"ppt/slide{n}.xml", "")
    crowded = buffer.getvalue()
    assert check_file("ok.pptx", crowded).filename == "ok.pptx"
    monkeypatch.setattr(files, "ZIP_ENTRIES_MAX", 20)
    opened = []
    monkeypatch.setattr(files.zipfile, "ZipFile", lambda *a, **k: opened.append(a) or pytest.fail("read"))
    assert refusal("crowded.pptx", crowded).reason == "content_mismatch"
    assert opened == []
    # No end-of-directory record at all: not a ZIP we read.
    assert refusal("cut.pptx", crowded[:-22]).reason == "content_mismatch"


def test_an_odf_whose_mimetype_is_compressed_is_not_an_odf():
    """The standard stores the mimetype entry uncompressed: no decompressor is ever run on
    an upload to find out what it is."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", "<x/>")
    assert refusal("文書.odt", buffer.getvalue()).reason == "content_mismatch"


def test_text_files_must_be_utf8_without_nul():
    assert refusal("a.csv", "名称,住所\n".encode("cp932")).reason == "not_utf8"
    assert refusal("a.txt", b"abc\x00def").reason == "nul_in_text"


def test_the_count_of_files_per_use_case():
    check_count(8, 2, limit=10)
    with pytest.raises(FileRefused) as caught:
        check_count(9, 2, limit=10, name="x.pdf")
    assert (caught.value.reason, caught.value.params) == ("too_many", {"name": "x.pdf", "limit": 10})


def test_content_disposition_carries_japanese_names_in_rfc_5987():
    header = content_disposition("避難所 一覧.pdf")
    assert header.startswith('attachment; filename="file.pdf"; ')
    assert "filename*=UTF-8''%E9%81%BF%E9%9B%A3%E6%89%80%20%E4%B8%80%E8%A6%A7.pdf" in header
    assert content_disposition('report "final";.pdf').startswith('attachment; filename="report _final__.pdf"')
    assert header.isascii()
