"""Checking uploads before they are stored: size limits, content by its leading bytes against
the type its name claims, and zip archives by their directory before they are accepted.

Files are stored in the database; their names are only ever shown and sent back as download
names, never used as paths.
"""
import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

MB = 1024 * 1024
DEFAULTS = {
    "MAX_FILE_BYTES": 25 * MB,
    "MAX_PROJECT_BYTES": 500 * MB,
    "MAX_ZIP_ENTRIES": 2000,
    "MAX_ZIP_UNCOMPRESSED_BYTES": 250 * MB,
}


def limit(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def _zip_with(*members):
    """A zip archive that holds one of `members` (office formats are zips with a known inside)."""
    def check(data: bytes, archive: zipfile.ZipFile | None) -> bool:
        return archive is not None and any(_has(archive, m) for m in members)
    return check


def _has(archive: zipfile.ZipFile, name: str) -> bool:
    try:
        archive.getinfo(name)
        return True
    except KeyError:
        return False


def _prefix(*magic):
    return lambda data, archive: data.startswith(magic)


def _webp(data, archive):
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _text(data, archive):
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _any_zip(data, archive):
    return archive is not None


OFFICE = _zip_with("[Content_Types].xml")
OPEN_DOCUMENT = _zip_with("mimetype")

# extension -> (content type stored and served, check of the content, is a zip archive)
TYPES = {
    "pdf": ("application/pdf", _prefix(b"%PDF-"), False),
    "png": ("image/png", _prefix(b"\x89PNG\r\n\x1a\n"), False),
    "jpg": ("image/jpeg", _prefix(b"\xff\xd8\xff"), False),
    "jpeg": ("image/jpeg", _prefix(b"\xff\xd8\xff"), False),
    "gif": ("image/gif", _prefix(b"GIF87a", b"GIF89a"), False),
    "webp": ("image/webp", _webp, False),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", OFFICE, True),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", OFFICE, True),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", OFFICE, True),
    "odt": ("application/vnd.oasis.opendocument.text", OPEN_DOCUMENT, True),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", OPEN_DOCUMENT, True),
    "odp": ("application/vnd.oasis.opendocument.presentation", OPEN_DOCUMENT, True),
    "csv": ("text/csv; charset=utf-8", _text, False),
    "txt": ("text/plain; charset=utf-8", _text, False),
    "md": ("text/plain; charset=utf-8", _text, False),
    "zip": ("application/zip", _any_zip, True),
}
ACCEPT = ",".join(f".{ext}" for ext in TYPES)
PREVIEWABLE = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


class UploadRefused(Exception):
    """The file is not accepted; `too_large` marks the limits (answered with 413)."""

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass
class CheckedFile:
    original_name: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def display_name(name: str | None) -> str:
    """The name to show and to send back: no folders, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:9]) if dot and len(ext) <= 9 else name[:200]
    return name or "file"


def read_limited(storage) -> bytes:
    """Read an uploaded file, refusing it as soon as it passes the per-file limit."""
    maximum = limit("MAX_FILE_BYTES")
    data = storage.stream.read(maximum + 1)
    if len(data) > maximum:
        raise UploadRefused(_("%(name)s is larger than %(limit)s; nothing was stored.",
                              name=display_name(storage.filename), limit=human_size(maximum)), too_large=True)
    return data


def check_file(original_name: str | None, data: bytes) -> CheckedFile:
    """Accept the file only if its content is what its name says it is."""
    name = display_name(original_name)
    maximum = limit("MAX_FILE_BYTES")
    if len(data) > maximum:
        raise UploadRefused(_("%(name)s is larger than %(limit)s; nothing was stored.",
                              name=name, limit=human_size(maximum)), too_large=True)
    if not data:
        raise UploadRefused(_("%(name)s is empty.", name=name))
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in TYPES:
        raise UploadRefused(_("%(name)s is not a file type the workspace takes. Upload PDF, office documents "
                              "(docx, xlsx, pptx, odt, ods, odp), images (png, jpg, gif, webp), CSV or text, or a zip.",
                              name=name))
    content_type, matches, is_zip = TYPES[ext]
    archive = _open_zip(name, data) if is_zip else None
    if not matches(data, archive):
        raise UploadRefused(_("%(name)s does not contain what its name says (.%(ext)s). Nothing was stored.",
                              name=name, ext=ext))
    return CheckedFile(original_name=name, content_type=content_type, data=data)


def _open_zip(name: str, data: bytes) -> zipfile.ZipFile | None:
    """Read only the zip's directory (never extract): refuse too many entries or a huge unpacked size."""
    if not data.startswith(b"PK\x03\x04") and not data.startswith(b"PK\x05\x06"):
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if len(entries) > limit("MAX_ZIP_ENTRIES"):
        raise UploadRefused(_("%(name)s holds more than %(count)s files; split it or leave out generated files.",
                              name=name, count=limit("MAX_ZIP_ENTRIES")))
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limit("MAX_ZIP_UNCOMPRESSED_BYTES"):
        raise UploadRefused(_("%(name)s would unpack to more than %(limit)s; it is not accepted.",
                              name=name, limit=human_size(limit("MAX_ZIP_UNCOMPRESSED_BYTES"))))
    return archive


def check_project_room(used: int, adding: int) -> None:
    """Refuse an upload that would take the project past its total storage."""
    maximum = limit("MAX_PROJECT_BYTES")
    if used + adding > maximum:
        raise UploadRefused(_("This project's files would pass its limit of %(limit)s (%(used)s used). "
                              "Nothing was stored.", limit=human_size(maximum), used=human_size(used)),
                            too_large=True)


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return _("%(n)s bytes", n=size)
