"""Opening an export as it was delivered: plain, gzipped or zipped, counting bytes read."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import IO


class ImportFileError(Exception):
    """The file cannot be imported: one line saying what and where; nothing is written."""


class CountingReader(io.RawIOBase):
    """Reads a binary stream, counting the bytes taken from the file on disk (for progress),
    and skips whatever comes before the first '<' (some exports start with junk or a BOM)."""

    def __init__(self, stream: IO[bytes], on_disk: IO[bytes], *, markup: bool = True) -> None:
        self._stream = stream
        self._on_disk = on_disk
        self._started = not markup

    def readable(self) -> bool:
        return True

    @property
    def consumed(self) -> int:
        return self._on_disk.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        if not self._started:
            while data and b"<" not in data:
                data = self._stream.read(len(buffer))
            if data:
                data = data[data.index(b"<"):]
                self._started = True
        buffer[: len(data)] = data
        return len(data)


def open_export(path: Path, suffixes: tuple[str, ...] = (".xml",)) -> tuple[CountingReader, int]:
    """Open an export (.xml, .xml.gz or a .zip holding one); return it and its size on disk.

    XML (suffixes .xml) starts at its first '<'; anything else is read from its first byte.
    """
    markup = ".xml" in suffixes
    try:
        on_disk = path.open("rb")
    except OSError as error:
        raise ImportFileError(f"{path}: {error.strerror}") from None
    size = path.stat().st_size
    head = on_disk.read(4)
    on_disk.seek(0)
    if head[:2] == b"\x1f\x8b":
        return CountingReader(gzip.GzipFile(fileobj=on_disk), on_disk,  # type: ignore[arg-type]
                              markup=markup), size
    if head == b"PK\x03\x04":
        archive = zipfile.ZipFile(on_disk)
        members = [m for m in archive.infolist()
                   if not m.is_dir() and m.filename.lower().endswith(suffixes)
                   and not m.filename.startswith("__MACOSX/")]
        if len(members) != 1:
            raise ImportFileError(f"{path}: a .zip must hold exactly one export "
                                  f"({', '.join(suffixes)}); it holds {len(members)}")
        return CountingReader(archive.open(members[0]), on_disk, markup=markup), size
    return CountingReader(on_disk, on_disk, markup=markup), size
