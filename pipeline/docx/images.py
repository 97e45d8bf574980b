"""Evidence screenshots placed in a letter: sized to the page, added to the package afterwards."""

from __future__ import annotations

import contextvars

from markupsafe import Markup


class ImageRegistry:
    """Collects the images a rendering places, to add them to the package afterwards."""

    def __init__(self) -> None:
        self.images: list[tuple[str, str, bytes]] = []  # (rId, part name, bytes)

    def add(self, data: bytes, extension: str) -> tuple[str, int]:
        number = len(self.images) + 1
        rid = f"rIdEvidence{number}"
        self.images.append((rid, f"word/media/evidence{number}.{extension}", data))
        return rid, number

    def add_to(self, parts: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        if not self.images:
            return parts
        out = []
        for name, data in parts:
            if name == "[Content_Types].xml":
                data = _with_image_types(data, {p.rsplit(".", 1)[1] for _, p, _ in self.images})
            elif name == "word/_rels/document.xml.rels":
                rels = "".join(
                    f'<Relationship Id="{rid}" Type="http://schemas.openxmlformats.org/'
                    f'officeDocument/2006/relationships/image" Target="{p[len("word/"):]}"/>'
                    for rid, p, _ in self.images)
                data = data.replace(b"</Relationships>", rels.encode() + b"</Relationships>")
            out.append((name, data))
        out += [(p, data) for _, p, data in self.images]
        return out


def _with_image_types(data: bytes, extensions: set[str]) -> bytes:
    text = data.decode("utf-8")
    for ext in sorted(extensions):
        if f'Extension="{ext}"' not in text.replace("'", '"'):
            mime = {"png": "image/png", "jpeg": "image/jpeg"}[ext]
            text = text.replace("</Types>",
                                f'<Default Extension="{ext}" ContentType="{mime}"/></Types>')
    return text.encode("utf-8")


# The registry of the rendering under way, so an image placed by `{{ row.image }}` can add itself
# to the package without templates having to pass anything along.
current_registry: contextvars.ContextVar[ImageRegistry | None] = contextvars.ContextVar(
    "image_registry", default=None)

EMU_PER_CM = 360_000
MAX_WIDTH_CM = 15.0
MAX_HEIGHT_CM = 18.0


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a PNG or JPEG, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            length = int.from_bytes(data[i + 2:i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF):
                return (int.from_bytes(data[i + 7:i + 9], "big"),
                        int.from_bytes(data[i + 5:i + 7], "big"))
            i += 2 + length
    raise ValueError("not a PNG or JPEG image, or its header is damaged")


class EvidenceImage:
    """A screenshot placed in a letter, scaled to fit the page width (and a page's height)."""

    def __init__(self, data: bytes, description: str):
        self.data = data
        self.description = description
        self.extension = "png" if data.startswith(b"\x89PNG") else "jpeg"
        width, height = image_size(data)
        if not width or not height:
            raise ValueError("the image has no size")
        scale = min(MAX_WIDTH_CM / (width / 96 * 2.54), MAX_HEIGHT_CM / (height / 96 * 2.54), 1.0)
        self.cx = int(width / 96 * 2.54 * scale * EMU_PER_CM)
        self.cy = int(height / 96 * 2.54 * scale * EMU_PER_CM)

    def __str__(self) -> str:
        return f"[screenshot: {self.description}]"

    def __html__(self) -> str:
        registry = current_registry.get()
        if registry is None:  # rendered outside a letter (e.g. `templates fields`)
            return str(Markup.escape(str(self)))
        rid, number = registry.add(self.data, self.extension)
        descr = Markup.escape(self.description)
        ns_a = "http://schemas.openxmlformats.org/drawingml/2006/main"
        ns_pic = "http://schemas.openxmlformats.org/drawingml/2006/picture"
        ns_wp = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
        ns_r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        return (
            '</w:t></w:r><w:r><w:drawing>'
            f'<wp:inline xmlns:wp="{ns_wp}" distT="0" distB="0" distL="0" distR="0">'
            f'<wp:extent cx="{self.cx}" cy="{self.cy}"/>'
            f'<wp:docPr id="{4000 + number}" name="Evidence {number}" descr="{descr}"/>'
            f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{ns_a}" noChangeAspect="1"/>'
            f'</wp:cNvGraphicFramePr><a:graphic xmlns:a="{ns_a}">'
            f'<a:graphicData uri="{ns_pic}"><pic:pic xmlns:pic="{ns_pic}">'
            f'<pic:nvPicPr><pic:cNvPr id="{4000 + number}" name="evidence{number}.'
            f'{self.extension}"/><pic:cNvPicPr/></pic:nvPicPr>'
            f'<pic:blipFill><a:blip xmlns:r="{ns_r}" r:embed="{rid}"/><a:stretch><a:fillRect/>'
            '</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
            f'<a:ext cx="{self.cx}" cy="{self.cy}"/></a:xfrm><a:prstGeom prst="rect">'
            '<a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
            '</wp:inline></w:drawing></w:r><w:r><w:t xml:space="preserve">')
