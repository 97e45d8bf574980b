"""Reading a generated letter back as a reader sees it (shared by the test modules)."""

from __future__ import annotations

from docx.table import Table
from docx.text.paragraph import Paragraph


def blocks(container) -> list[str]:
    """Paragraph and table-cell texts of a body, header, footer or cell, in order.

    python-docx gives a Word line break (<w:br/>) as "\\n" and a tab as "\\t" in paragraph text.
    """
    texts: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            texts.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                seen = set()
                for cell in row.cells:
                    if cell._tc not in seen:  # a merged cell is listed once per grid column
                        seen.add(cell._tc)
                        texts += blocks(cell)
    return texts
