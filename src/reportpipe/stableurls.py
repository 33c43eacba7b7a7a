"""Folder-independent URLs for the files a PDF is made from.

WeasyPrint names a raster picture's image XObject after the MD5 of the URL it was
loaded from (`/i<md5(url)><interpolate>` in WeasyPrint 70). With the project folder's
real `file:` URL, the same report built in two folders would get two different names,
so two different byte strings. Every build therefore hands WeasyPrint the project as
one fixed, imaginary folder, `file:///reportpipe-project/`, which the project's URL
fetcher (reportpipe.pdf) maps back onto the real folder. This module holds that one
rule, without importing WeasyPrint, so preflight can turn image names back into the
picture's source path.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import md5
from pathlib import Path
from urllib.parse import quote, unquote

#: The project folder as every build shows it to WeasyPrint.
BASE = "file:///reportpipe-project/"


def stable_url(relative: str) -> str:
    """The URL WeasyPrint sees for a project-relative POSIX path."""
    return BASE + quote(relative)


def real_path(url: str, root: Path) -> Path | None:
    """The file of the project folder `root` that a stable URL stands for, or None."""
    if not url.startswith(BASE):
        return None
    relative = unquote(url[len(BASE) :].split("#", 1)[0].split("?", 1)[0])
    return root / relative


def image_names(relatives: Iterable[str]) -> dict[str, str]:
    """XObject name (without the slash) -> project-relative path, for every picture
    file given: how preflight names a picture by its source instead of an id."""
    names = {}
    for relative in relatives:
        digest = md5(stable_url(relative).encode(), usedforsecurity=False).hexdigest()
        for interpolate in ("0", "1"):
            names[f"i{digest}{interpolate}"] = relative
    return names
