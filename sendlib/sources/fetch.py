"""`sendlib fetch-dfe`: download a DfE "Education, health and care plans" release into a local cache.

    sendlib fetch-dfe [--url URL | --release-id ID] [--cache-dir DIR] [--sha256 HEX] [--force]

The zip is written to the cache directory with its SHA-256 beside it (`NAME.sha256`); a later call
for the same file reuses it when the checksum still matches (and matches `--sha256` if given), so
reports can be rebuilt offline. The path of the zip is printed on stdout, progress on stderr.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from sendlib.errors import SendlibInputError
from sendlib.readers import sha256 as sha256_of  # the one SHA-256 helper of the package

# The explore-education-statistics "download all files" endpoint of a release version.
RELEASE_URL = "https://content.explore-education-statistics.service.gov.uk/api/releases/{release_id}/files"
# "Education, health and care plans", reporting year 2025 (release version named in its data guidance)
DEFAULT_RELEASE_ID = "2e60aacd-d46c-416a-af4d-9d2269506ff6"
CHUNK = 1 << 16
log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """Return the cache directory: $SENDLIB_CACHE, else $XDG_CACHE_HOME/sendlib/dfe, else ~/.cache/sendlib/dfe."""
    if os.environ.get("SENDLIB_CACHE"):
        return Path(os.environ["SENDLIB_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sendlib" / "dfe"


def _file_name(url: str, release_id: str | None) -> str:
    if release_id:
        return f"education-health-and-care-plans_{release_id}.zip"
    name = Path(urllib.parse.urlparse(url).path).name
    if name.lower().endswith(".zip"):
        return name
    return f"dfe_{hashlib.sha256(url.encode()).hexdigest()[:12]}.zip"


def _cached(target: Path, expected: str | None) -> bool:
    side = target.with_name(target.name + ".sha256")
    if not (target.exists() and side.exists()):
        return False
    recorded = side.read_text(encoding="utf-8").split()[0].lower()
    actual = sha256_of(target)
    return actual == recorded and (expected is None or actual == expected.lower())


def fetch_release(url: str | None = None, *, release_id: str | None = None, cache_dir=None,
                  expected_sha256: str | None = None, force: bool = False, progress: bool = True,
                  timeout: float = 60.0) -> Path:
    """Download a release zip into the cache (or reuse the cached copy) and return its path.

    Raises :class:`SendlibInputError` (one line) for a bad URL, an HTTP or network error, a file
    that is not a zip, or a checksum that differs from `expected_sha256`."""
    if url is None:
        release_id = release_id or DEFAULT_RELEASE_ID
        url = RELEASE_URL.format(release_id=release_id)
    scheme = urllib.parse.urlparse(url).scheme
    if scheme not in ("http", "https", "file"):
        raise SendlibInputError(f"not a download URL: {url!r}", hint="give an http(s) URL with --url")
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / _file_name(url, release_id)
    if not force and _cached(target, expected_sha256):
        log.info("using cached %s", target)
        return target

    from tqdm import tqdm

    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=cache, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "sendlib (fetch-dfe)"})
        with urllib.request.urlopen(request, timeout=timeout) as response, os.fdopen(fd, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=target.name, file=sys.stderr,
                      disable=not progress) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
        digest = h.hexdigest()
        if expected_sha256 and digest != expected_sha256.lower():
            raise SendlibInputError(f"checksum {digest} differs from the expected {expected_sha256}",
                                    file=url, hint="the publisher may have revised the release; check --sha256")
        if not zipfile.is_zipfile(tmp):
            raise SendlibInputError("the download is not a zip file", file=url,
                                    hint="check the URL points at a release's 'download all files' link")
        os.replace(tmp, target)
    except urllib.error.HTTPError as exc:
        raise SendlibInputError(f"download failed: HTTP {exc.code} {exc.reason}", file=url,
                                hint="check the URL or --release-id") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendlibInputError(f"download failed: {reason}", file=url,
                                hint="check the URL and your network connection") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    return target
