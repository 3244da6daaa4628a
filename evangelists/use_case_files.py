"""The files of a use case (slides, templates, data): which may be attached, and the checks
an upload passes before it is stored (issue 22).

Framework-free and pure: each check takes the uploader's file name and the bytes and
either returns what is stored (:class:`CheckedFile`) or raises :class:`FileRefused`
naming the file and the reason. Nothing here writes a file.

* The name: NFC-normalised and kept otherwise (Japanese names are welcome), but without
  path characters (``/``, ``\\``, ``..``), NUL or other control characters, and not
  starting with a dot; at most ``FILENAME_MAX`` characters.
* The type: by the name's extension, from ``ALLOWED_TYPES`` only; the content type that
  is served later is the one of this table, never the uploader's.
* The content must be what the extension says: ``%PDF-``, the PNG signature, JPEG's
  ``FF D8 FF``; an Office Open XML file is a ZIP holding ``[Content_Types].xml`` and its
  application's folder; an OpenDocument file is a ZIP whose ``mimetype`` entry names its
  type. ZIPs are read through their directory only (never extracted; the small
  ``mimetype`` entry is the one read, and only when it says it is small), so a ZIP bomb
  costs nothing. CSV and text files are UTF-8 without NUL.
* The size: not empty, at most the limit (``MAX_FILE_BYTES`` unless the site sets its own).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from urllib.parse import quote

from evangelists.errors import Refused

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10  # per use case
FILENAME_MAX = 200  # the column's width
# A ZIP with more entries than this is not an office document anyone uploads.
ZIP_ENTRIES_MAX = 20_000
_MIMETYPE_ENTRY_MAX = 200  # bytes: "application/vnd.oasis.opendocument.presentation" is 47

OOXML = {
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ppt/"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/"),
}
ODF = {
    "odp": "application/vnd.oasis.opendocument.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
# extension -> the content type it is served with
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    **{ext: content_type for ext, (content_type, _folder) in OOXML.items()},
    **ODF,
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
# What the upload field's ``accept`` lists, and the page says.
ACCEPT = ",".join(f".{ext}" for ext in ALLOWED_TYPES)
ALLOWED_NAMES = ("PDF", "PPTX", "DOCX", "XLSX", "ODP", "ODT", "ODS", "PNG", "JPEG", "CSV", "TXT")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PDF_SIGNATURE = b"%PDF-"
ZIP_SIGNATURE = b"PK\x03\x04"


class FileRefused(Refused):
    """An upload that is refused; ``field`` is "files", ``params["name"]`` the file's name
    as uploaded. ``reason``: ``no_name``, ``path_characters``, ``control_characters``,
    ``leading_dot``, ``name_too_long``, ``not_allowed`` (``extension``), ``empty``,
    ``too_large`` (``limit``, e.g. "10 MB"), ``content_mismatch`` (``extension``), ``not_utf8``,
    ``nul_in_text``, ``too_many`` (``limit``)."""

    scope = "use_case_file"

    def __init__(self, reason: str, name: str, **params):
        super().__init__("files", reason, name=name, **params)


@dataclass(frozen=True)
class CheckedFile:
    filename: str  # NFC, as it is downloaded
    extension: str
    content_type: str  # from ALLOWED_TYPES
    size: int
    sha256: str


def check_filename(name: str | None) -> str:
    """The uploader's file name NFC-normalised and trimmed of surrounding spaces, or
    FileRefused: empty, path characters, control characters, a leading dot, too long."""
    shown = name or ""
    text = unicodedata.normalize("NFC", shown).strip()
    if not text:
        raise FileRefused("no_name", shown)
    if "/" in text or "\\" in text or ".." in text:
        raise FileRefused("path_characters", shown)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise FileRefused("control_characters", _visible(shown))
    if text.startswith("."):
        raise FileRefused("leading_dot", shown)
    if len(text) > FILENAME_MAX:
        raise FileRefused("name_too_long", shown[:60] + "…", limit=FILENAME_MAX)
    return text


def _visible(name: str) -> str:
    """``name`` with control and format characters shown as "?" (for the message)."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name)


def extension_of(filename: str) -> str:
    """The lower-case extension after the last dot ("" when there is none)."""
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


def check_file(name: str | None, data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> CheckedFile:
    """Every check on one upload (the module's docstring), in the order a person fixes
    them: the name, the type, the size, then the content."""
    filename = check_filename(name)
    extension = extension_of(filename)
    if extension not in ALLOWED_TYPES:
        raise FileRefused("not_allowed", filename, extension=extension or "—")
    if not data:
        raise FileRefused("empty", filename)
    if len(data) > max_bytes:
        raise FileRefused("too_large", filename, limit=size_text(max_bytes))
    check_content(filename, extension, data)
    return CheckedFile(filename=filename, extension=extension, content_type=ALLOWED_TYPES[extension],
                       size=len(data), sha256=hashlib.sha256(data).hexdigest())


def size_text(size: int) -> str:
    """A size as people read it in either language: "10 MB", "64 KB"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    return f"{max(size // 1024, 1)} KB"


def check_content(filename: str, extension: str, data: bytes) -> None:
    """FileRefused unless ``data`` is what ``extension`` says."""
    if extension == "pdf":
        ok = data.startswith(PDF_SIGNATURE)
    elif extension == "png":
        ok = data.startswith(PNG_SIGNATURE)
    elif extension in ("jpg", "jpeg"):
        ok = data.startswith(JPEG_SIGNATURE)
    elif extension in OOXML:
        ok = _is_ooxml(data, OOXML[extension][1])
    elif extension in ODF:
        ok = _is_odf(data, ODF[extension])
    else:  # csv, txt
        if b"\x00" in data:
            raise FileRefused("nul_in_text", filename)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise FileRefused("not_utf8", filename) from None
        ok = True
    if not ok:
        raise FileRefused("content_mismatch", filename, extension=extension.upper())


def _zip_names(data: bytes) -> list[zipfile.ZipInfo] | None:
    """The ZIP's directory (never its contents), or None if it is not a ZIP we read."""
    if not data.startswith(ZIP_SIGNATURE) or _zip_entry_count(data) > ZIP_ENTRIES_MAX:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None
    return entries if len(entries) <= ZIP_ENTRIES_MAX else None


def _zip_entry_count(data: bytes) -> int:
    """How many entries the ZIP's end-of-directory record says it has, read before the
    directory itself is: an archive of a hundred thousand empty entries is refused without
    building its directory in memory. A ZIP64 count (0xFFFF) or no record reads as more
    than any limit."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return ZIP_ENTRIES_MAX + 1
    total = int.from_bytes(data[end + 10:end + 12], "little")
    return ZIP_ENTRIES_MAX + 1 if total == 0xFFFF else total


def _is_ooxml(data: bytes, folder: str) -> bool:
    entries = _zip_names(data)
    if entries is None:
        return False
    names = {entry.filename for entry in entries}
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def _is_odf(data: bytes, mimetype: str) -> bool:
    entries = _zip_names(data)
    if not entries or entries[0].filename != "mimetype":
        return False
    entry = entries[0]
    # ODF stores it first and uncompressed (ZIP_STORED, as the standard requires); reading
    # at most a few bytes of it is safe, and no decompressor is ever asked for.
    if (entry.compress_type != zipfile.ZIP_STORED or entry.file_size > _MIMETYPE_ENTRY_MAX
            or entry.compress_size > _MIMETYPE_ENTRY_MAX):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(entry) as stream:
            content = stream.read(_MIMETYPE_ENTRY_MAX + 1)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError):
        # A damaged archive, or one encrypted (RuntimeError: a password is needed).
        return False
    return content.strip() == mimetype.encode("ascii")


def check_count(existing: int, adding: int, *, limit: int = MAX_FILES, name: str = "") -> None:
    """FileRefused("too_many") when ``existing`` files and ``adding`` more exceed ``limit``."""
    if existing + adding > limit:
        raise FileRefused("too_many", name, limit=limit)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and RFC 5987's ``filename*`` (UTF-8,
    percent-encoded) for the real one: browsers save Japanese names as they were."""
    extension = extension_of(filename)
    if filename.isascii():
        ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;%' else "_" for ch in filename)
    else:  # a name of other letters has no ASCII form worth showing
        ascii_name = f"file.{extension}" if extension else "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
