"""Attachments: type checked by content (magic bytes) and name, size capped, stored under a random name,
served as downloads with nosniff so that nothing uploaded can run in the site's origin."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from civic.errors import Invalid
from civic.i18n import _

MAX_BYTES = 20 * 1024 * 1024
# extension -> (media type, magic prefixes)
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "csv": ("text/csv", ()),
}


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    original_name: str
    media_type: str
    size: int
    sha256: str


def safe_filename(name: str) -> str:
    """Keeps letters (Chinese included), digits, dot, dash, underscore; drops paths and control characters."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[^\w.\-（）() ]+", "_", name, flags=re.UNICODE).strip(" ._")
    return name[:120] or "file"


def check_upload(filename: str, content: bytes, allowed: set[str] | None = None, max_bytes: int = MAX_BYTES) -> tuple[str, str]:
    """Returns (safe name, media type) or raises Invalid with a message for the user."""
    name = safe_filename(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kinds = allowed or set(ALLOWED)
    if extension not in kinds or extension not in ALLOWED:
        raise Invalid(_("Files of this type cannot be attached. Allowed: %(types)s", types=", ".join(sorted(kinds))), field="file")
    if not content:
        raise Invalid(_("The file is empty."), field="file")
    if len(content) > max_bytes:
        raise Invalid(_("The file is larger than %(mb)s MB.", mb=max_bytes // (1024 * 1024)), field="file")
    media_type, magics = ALLOWED[extension]
    if magics and not any(content.startswith(m) for m in magics):
        raise Invalid(_("The file's content does not match its type (.%(ext)s).", ext=extension), field="file")
    if extension == "csv":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content.decode("gb18030")
            except UnicodeDecodeError as error:
                raise Invalid(_("The .csv file is neither UTF-8 nor GB18030 text."), field="file") from error
    return name, media_type


def store(data_dir: Path, filename: str, content: bytes, allowed: set[str] | None = None) -> StoredFile:
    name, media_type = check_upload(filename, content, allowed)
    folder = data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    storage_name = secrets.token_hex(16)
    path = folder / storage_name
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return StoredFile(storage_name, name, media_type, len(content), hashlib.sha256(content).hexdigest())


def path_of(data_dir: Path, storage_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", storage_name or ""):
        raise Invalid(_("No such file."))
    return data_dir / "uploads" / storage_name


def download_headers(original_name: str) -> dict:
    from urllib.parse import quote

    return {
        "Content-Disposition": f"attachment; filename=\"download\"; filename*=UTF-8''{quote(original_name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
