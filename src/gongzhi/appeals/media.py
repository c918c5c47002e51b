"""Appeal photos: only real JPEG/PNG/WebP images (checked by decoding), size-limited, with the EXIF location
removed unless the reporter agreed to share it, plus a small JPEG thumbnail.

Files are written and fsync'd before the transaction that records them commits, so an acknowledged appeal
never points at a missing file; a crash between the write and the commit leaves an orphan file, which is
harmless (docs/appeals.md)."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from gongzhi.core.errors import AppError, ValidationFailed
from gongzhi.core.settings import get_settings

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
GPS_IFD = 0x8825
THUMB = 320
Image.MAX_IMAGE_PIXELS = 60_000_000  # a decompression bomb is refused, not decoded


class PhotoTooLarge(AppError):
    status = 413
    code = "photo_too_large"


@dataclass(frozen=True)
class StoredPhoto:
    content_type: str
    path: str
    thumb_path: str
    width: int
    height: int
    size: int


def _fsync_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def check_and_store(data: bytes, filename: str, *, keep_location: bool) -> StoredPhoto:
    """Validate one upload and write it (and its thumbnail) under the media directory."""
    settings = get_settings()
    if len(data) > settings.photo_max_bytes:
        raise PhotoTooLarge(f"照片「{filename}」超过 {settings.photo_max_bytes // (1024 * 1024)} MB",
                            details={"file": filename, "size": len(data)})
    if not data:
        raise ValidationFailed(f"照片「{filename}」是空文件", code="invalid_photo", details={"file": filename})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            probe.verify()  # structure check; the full decode below catches truncated pixel data
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(f"「{filename}」不是可识别的图片", code="invalid_photo",
                               details={"file": filename, "reason": str(exc)[:200]}) from exc
    if fmt not in FORMATS:
        raise ValidationFailed(f"「{filename}」格式为 {fmt or '未知'}，只接受 JPEG、PNG、WebP", code="invalid_photo",
                               details={"file": filename, "format": fmt})
    content_type, ext = FORMATS[fmt]
    exif = img.getexif()
    if not keep_location and GPS_IFD in exif:
        # Re-encode without the GPS block; keep the rest of EXIF (orientation, time).
        del exif[GPS_IFD]
        out = io.BytesIO()
        params: dict[str, object] = {"exif": exif.tobytes()}
        if fmt == "JPEG":
            params["quality"] = 92
        img.save(out, format=fmt, **params)
        data = out.getvalue()
    thumb = ImageOps.exif_transpose(img.copy())
    thumb.thumbnail((THUMB, THUMB))
    if thumb.mode not in ("RGB", "L"):
        thumb = thumb.convert("RGB")
    tout = io.BytesIO()
    thumb.save(tout, format="JPEG", quality=80)
    name = uuid.uuid4().hex
    rel = Path("appeals") / name[:2] / f"{name}.{ext}"
    rel_thumb = Path("appeals") / name[:2] / f"{name}.thumb.jpg"
    root = settings.media_dir
    _fsync_write(root / rel, data)
    _fsync_write(root / rel_thumb, tout.getvalue())
    return StoredPhoto(content_type, rel.as_posix(), rel_thumb.as_posix(), img.width, img.height, len(data))


def read(rel: str) -> bytes:
    root = get_settings().media_dir.resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise ValidationFailed("路径无效")
    return path.read_bytes()
