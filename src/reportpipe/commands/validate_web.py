"""`reportpipe validate-web`: the web edition in a real browser, checked by axe-core.

The page is opened in the system's Chromium (Debian's `chromium`, headless) at a phone's
width (390 px) and a desktop's (1280 px), and axe-core runs in it with the rules of WCAG
2.1 A and AA. Every violation is an error at the page; so is any request the page makes
outside its own folder (the web edition must be self-contained). The browser is driven
by puppeteer-core, which never downloads a browser; axe-core and puppeteer-core come from
the npm registry at the exact versions of `browser/package-lock.json`, installed once
into a cache folder by `install_tools` (`--install-tools`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reportpipe.findings import Finding, InputError, error

ASSETS = Path(__file__).resolve().parent.parent / "browser"
SCRIPT = ASSETS / "axe.mjs"
WIDTHS = (390, 1280)
TIMEOUT = 180


@dataclass(frozen=True)
class WebCheck:
    page: str  # as messages name it
    axe: str  # axe-core's version
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


def tools_folder() -> Path:
    """Where axe-core and puppeteer-core are installed: $REPORTPIPE_WEB_TOOLS, else the
    user's cache folder."""
    if configured := os.environ.get("REPORTPIPE_WEB_TOOLS"):
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "reportpipe" / "web-check"


def chromium() -> Path | None:
    """The browser: $CHROMIUM, else `chromium` or `chromium-browser` on the PATH."""
    if configured := os.environ.get("CHROMIUM"):
        return Path(configured)
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return Path(found)
    return None


def tools_ready(folder: Path) -> bool:
    """Whether `folder` holds exactly the pinned versions."""
    wanted = json.loads((ASSETS / "package.json").read_text("utf-8"))["dependencies"]
    for name, version in wanted.items():
        installed = folder / "node_modules" / name / "package.json"
        try:
            if json.loads(installed.read_text("utf-8")).get("version") != version:
                return False
        except (OSError, ValueError):
            return False
    return True


def install_tools(folder: Path) -> bool:
    """Install the pinned tools into `folder` with `npm ci` unless they are there;
    True when it installed something. Idempotent."""
    if tools_ready(folder):
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise InputError([error("npm", None, "not found: install Node.js and npm first")])
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ASSETS / name, folder / name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not tools_ready(folder):
        raise InputError([error(str(folder), None, f"npm ci failed: {done.stderr.strip()}")])
    return True


def check_page(
    page: Path, *, shown: str, tools: Path, browser: Path, screenshots: Path | None = None
) -> WebCheck:
    """Open `page` in `browser` and run axe-core on it; `screenshots` (a path prefix)
    also saves what the browser showed, as <prefix>-390.png and <prefix>-1280.png."""
    if not page.is_file():
        raise InputError([error(shown, None, "no web edition here: run `reportpipe build`")])
    if not tools_ready(tools):
        raise InputError(
            [error(str(tools), None, "axe-core is not installed here: add --install-tools")]
        )
    node = shutil.which("node")
    if node is None:
        raise InputError([error("node", None, "not found: install Node.js first")])
    command = [node, str(SCRIPT), str(browser), str(page.resolve())]
    if screenshots is not None:
        screenshots.parent.mkdir(parents=True, exist_ok=True)
        command.append(str(screenshots))
    done = subprocess.run(
        command, cwd=tools, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    if done.returncode != 0:
        why = done.stderr.strip().splitlines()[-1:] or ["no output"]
        raise InputError([error(shown, None, f"the browser check did not run: {why[0]}")])
    result = json.loads(done.stdout)
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for width in WIDTHS:
        for violation in result["widths"][str(width)]:
            for node_found in violation["nodes"]:
                key = (violation["id"], node_found["target"])
                if key in seen:
                    continue
                seen.add(key)
                findings.append(
                    error(
                        shown,
                        None,
                        f"axe {violation['id']} ({violation['impact']}, at {width} px): "
                        f"{violation['help']}: {node_found['target']}",
                    )
                )
    for url in result["outside"]:
        findings.append(error(shown, None, f"the page loads {url}: it must be self-contained"))
    return WebCheck(shown, str(result["axe"]), tuple(findings))
