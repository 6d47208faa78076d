"""Recognise a video container from its first bytes (never from the file name)."""

from __future__ import annotations

#: Bytes needed by :func:`sniff_container`.
SNIFF_BYTES = 64

#: QuickTime atoms that may open a .mov file written before the ``ftyp`` atom existed.
_QT_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff_container(head: bytes) -> str | None:
    """The file extension for a recognised container ('mp4', 'mov', 'mkv', 'webm', 'avi'), else ``None``.

    Recognised: ISO base media / QuickTime (``ftyp`` box, or a classic QuickTime atom), Matroska and
    WebM (EBML header), AVI (``RIFF....AVI ``).
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if len(head) >= 8 and head[4:8] in _QT_ATOMS:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:SNIFF_BYTES] else "mkv"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None
