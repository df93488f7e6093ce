"""Helpers the revcycle addons' tests share (import them from odoo.addons.revcycle_base.tests.common)."""

import shutil
import subprocess
import tempfile
from pathlib import Path


def pdf_text(test, pdf):
    """The words of a PDF made by wkhtmltopdf, read back with OCR (Debian's wkhtmltopdf draws web fonts as outlines,
    so the PDF holds no extractable text), whitespace folded. ``test`` is the calling TestCase: a missing tool fails
    it with the package to install."""
    missing = [tool for tool in ("pdftoppm", "tesseract") if not shutil.which(tool)]
    test.assertFalse(missing, f"install poppler-utils and tesseract-ocr to read the PDF back: {missing}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(Path(folder) / "page")], check=True)
        texts = [
            subprocess.run(["tesseract", str(page), "-"], capture_output=True, text=True, check=True).stdout
            for page in sorted(Path(folder).glob("page*.png"))
        ]
    return " ".join(" ".join(texts).split())
