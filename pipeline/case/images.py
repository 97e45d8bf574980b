"""Evidence screenshots checked before they are trusted: a whole PNG or JPEG, within limits.

`letters check` runs this on every `evidence:` file, so a damaged screenshot is refused at its
line rather than ending a draft or a bundle in a traceback. Without an image library, the checks
are structural, and strict where it is cheap to be:

- PNG: the signature, every chunk's length and CRC, a sane IHDR first, a palette where the
  colour type needs one, IEND last, and the compressed image data inflating to exactly the size
  its header gives (inflated in pieces, so a "zip bomb" costs no memory);
- JPEG: the start marker, every segment's length, a frame header with real dimensions, a scan,
  and the end marker after it;
- either: within MAX_BYTES and MAX_PIXELS.
"""

from __future__ import annotations

import io
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 20 * 1024 * 1024  # a phone screenshot is 0.2-5 MB
MAX_PIXELS = 50_000_000  # 8,000 x 6,000; a letter prints it 15 cm wide
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# PNG colour type -> (allowed bit depths, samples per pixel)
_PNG_COLOUR = {0: ({1, 2, 4, 8, 16}, 1), 2: ({8, 16}, 3), 3: ({1, 2, 4, 8}, 1),
               4: ({8, 16}, 2), 6: ({8, 16}, 4)}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # (x start, y start, x step, y step) of each pass


class _Bad(Exception):
    pass


def image_problem(data: bytes) -> str | None:
    """Why `data` is not a screenshot a letter can hold (a phrase to follow "it is"), or None."""
    if len(data) > MAX_BYTES:
        return (f"{len(data) / 1024 / 1024:.1f} MB, over the {MAX_BYTES // 1024 // 1024} MB a "
                "screenshot may be; save it smaller (e.g. as a JPEG)")
    try:
        if data.startswith(PNG_SIGNATURE):
            _check_png(data)
        elif data.startswith(b"\xff\xd8"):
            _check_jpeg(data)
        else:
            return "not a PNG or JPEG image; save the screenshot as .png or .jpg"
    except _Bad as exc:
        return f"a damaged image ({exc}); take or save the screenshot again"
    return None


def _pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _Bad(f"it says it is {width} x {height} pixels")
    if width * height > MAX_PIXELS:
        raise _Bad(f"{width:,} x {height:,} pixels is over the {MAX_PIXELS:,} a screenshot "
                   "may have")


def _check_png(data: bytes) -> None:
    pos = len(PNG_SIGNATURE)
    header = None
    palette = False
    inflater = zlib.decompressobj()
    expected = inflated = 0
    ended = False
    while pos < len(data):
        if len(data) - pos < 12:
            raise _Bad("it ends in the middle of a chunk")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if length > len(data) - pos - 12:
            raise _Bad(f"its {kind!r} chunk is cut off")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise _Bad(f"its {kind.decode('latin-1')!r} chunk fails its checksum")
        pos += 12 + length
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise _Bad("it does not begin with an image header (IHDR)")
            width, height, depth, colour, method, filtering, interlace = struct.unpack(
                ">IIBBBBB", body)
            _pixels(width, height)
            depths, samples = _PNG_COLOUR.get(colour, (set(), 0))
            if depth not in depths or method or filtering or interlace > 1:
                raise _Bad("its header describes no PNG format")
            header = (width, height, depth * samples, interlace, colour)
            expected = _png_raw_size(*header[:4])
        elif kind == b"PLTE":
            palette = True
        elif kind == b"IDAT":
            if ended:
                raise _Bad("it has image data after the end of its image data")
            inflated += _inflate(inflater, body, expected - inflated)
        elif kind == b"IEND":
            ended = True
            break
    if header is None or not ended:
        raise _Bad("it is cut off before its end (IEND)")
    if header[4] == 3 and not palette:
        raise _Bad("it has no palette (PLTE) for its colours")
    if not inflater.eof or inflated != expected:
        raise _Bad(f"its image data holds {inflated:,} of the {expected:,} bytes its header "
                   "gives")


def _png_raw_size(width: int, height: int, bits: int, interlace: int) -> int:
    def rows(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits + 7) // 8)

    if not interlace:
        return rows(width, height)
    return sum(rows((width - x + dx - 1) // dx if width > x else 0,
                    (height - y + dy - 1) // dy if height > y else 0)
               for x, y, dx, dy in _ADAM7)


def _inflate(inflater, body: bytes, room: int) -> int:
    """Bytes `body` inflates to, never holding more than 1 MB of them at once."""
    produced = 0
    try:
        chunk = inflater.decompress(body, 1 << 20)
        while True:
            produced += len(chunk)
            if produced > room:
                raise _Bad("its image data inflates to more than its header gives")
            if not inflater.unconsumed_tail:
                break
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error as exc:
        raise _Bad(f"its image data cannot be inflated ({exc})") from None
    return produced


def _check_jpeg(data: bytes) -> None:
    stream = io.BytesIO(data)
    stream.seek(2)
    frame = scan = False
    while True:
        byte = stream.read(1)
        if not byte:
            raise _Bad("it is cut off before its end marker")
        if byte != b"\xff":
            raise _Bad(f"a segment begins with {byte[0]:#04x}, not a marker")
        marker = stream.read(1)
        while marker == b"\xff":  # fill bytes
            marker = stream.read(1)
        if not marker:
            raise _Bad("it is cut off before its end marker")
        code = marker[0]
        if code == 0xD9:
            if not (frame and scan):
                raise _Bad("it ends before any image data")
            return
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            continue
        raw = stream.read(2)
        if len(raw) < 2:
            raise _Bad("it is cut off in a segment")
        (length,) = struct.unpack(">H", raw)
        body = stream.read(length - 2) if length >= 2 else b""
        if length < 2 or len(body) < length - 2:
            raise _Bad("it is cut off in a segment")
        if code in _SOF:
            if len(body) < 6:
                raise _Bad("its frame header is too short")
            height, width, components = struct.unpack(">HHB", body[1:6])
            _pixels(width, height)
            if not 1 <= components <= 4 or len(body) < 6 + 3 * components:
                raise _Bad("its frame header is damaged")
            frame = True
        elif code == 0xDA:
            if not frame:
                raise _Bad("it has image data before its frame header")
            scan = True
            _skip_entropy_coded(stream)


def _skip_entropy_coded(stream: io.BytesIO) -> None:
    """Move past a scan's data to the marker after it (FF00 is a stuffed byte; FFD0-D7 restart
    markers belong to the scan)."""
    data = stream.getvalue()
    pos = stream.tell()
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise _Bad("it is cut off in its image data")
        following = data[pos + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        stream.seek(pos)
        return
