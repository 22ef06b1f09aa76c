"""Pseudonymous person identifiers: ``person_id`` = ``"P"`` + the first 16 hex characters of
HMAC-SHA256(key, person key).

The person key is the UPN when the record has one (so that the SEN2 return and the school census
link, and a person links across census years), otherwise ``"LA:" + persontableid``. UPNs are
compared stripped and upper-case.

The secret key comes from the environment variable ``SENDLIB_PSEUDONYM_KEY`` or else from a key
file (default ``.sendlib-key`` in the project root, listed in ``.gitignore``), and must hold at
least 128 bits (``secrets.token_hex(16)`` or longer). Without such a key, data cannot be cleaned.

The fixed, published :data:`SYNTHETIC_KEY` is used only when the caller says the data are
synthetic (a cycle's explicit ``synthetic: true``, ``sendlib clean --synthetic``) *and* the folder
proves it: a ``manifest.json`` of the generator in the census year's folder or its parent lists
every file of the folder with its SHA-256, and every checksum matches. A manifest copied beside
real extracts, a synthetic file replaced by a real one, or an extra file fails the proof, and the
run stops rather than protect real data with a published key.

Names, full dates of birth, UPNs, ULNs and postcodes never leave the cleaning stage: only
``person_id`` and the month of birth do.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import string
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError

ENV_VAR = "SENDLIB_PSEUDONYM_KEY"
DEFAULT_KEY_FILE = Path(__file__).resolve().parents[1] / ".sendlib-key"
SYNTHETIC_KEY = b"sendlib synthetic data: published key, not a secret"
ID_HEX = 16
MIN_KEY_BITS = 128
GENERATOR = "sendlib.synthetic"
_MAKE_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'


def key_for(raw_dir, key_file=None, synthetic: bool = False) -> bytes:
    """The key for cleaning the census-year folder `raw_dir`: the published key when the caller
    says the data are synthetic and the generator's manifest proves it (else SendlibInputError);
    otherwise the secret key of :func:`load_key`."""
    if synthetic:
        prove_synthetic(Path(raw_dir))
        return SYNTHETIC_KEY
    return load_key(key_file)


def load_key(key_file=None) -> bytes:
    """The secret pseudonymisation key, of at least 128 bits: the key file named by the caller, else
    the env var, else the default key file.

    Raises SendlibInputError, saying how to create a key, when there is none (a key file named but
    missing included) or it is too weak.
    """
    value = "" if key_file else os.environ.get(ENV_VAR, "").strip()
    if value:
        return _strong(value, f"the key in {ENV_VAR}", None)
    path = Path(key_file) if key_file else DEFAULT_KEY_FILE
    if path.is_file():
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise SendlibInputError("the pseudonymisation key file cannot be read as text", file=str(path),
                                    hint=f"write a key into it: {_MAKE_KEY} > {path}") from None
        if value:
            return _strong(value, "the key in the key file", str(path))
        raise SendlibInputError("the pseudonymisation key file is empty", file=str(path),
                                hint=f"write a key into it: {_MAKE_KEY} > {path}")
    raise SendlibInputError(f"no pseudonymisation key: set {ENV_VAR} or create the key file", file=str(path),
                            hint=f"{_MAKE_KEY} > {path} (keep it secret, never commit it, "
                                 "use the same key every cycle)")


def key_bits(value: str) -> float:
    """A generous estimate of the strength of a key text: its length times the bits per character
    of the smallest usual alphabet holding it (hex 4, base64 6, printable ASCII 6.6), and none
    for a text of fewer than 8 distinct characters."""
    if len(set(value)) < 8:
        return 0.0
    alphabets = (string.hexdigits, string.ascii_letters + string.digits + "+/=_-", string.printable)
    size = next((len(set(a)) for a in alphabets if set(value) <= set(a)), 2 ** 16)
    size = 16 if size == len(set(string.hexdigits)) else size  # hex digits in either case are 16 symbols
    return len(value) * math.log2(size)


def _strong(value: str, what: str, file: str | None) -> bytes:
    key = value.encode("utf-8")
    if key == SYNTHETIC_KEY:
        raise SendlibInputError(f"{what} is the published key of the synthetic data, not a secret", file=file,
                                hint=f"make a key of your own: {_MAKE_KEY}")
    bits = key_bits(value)
    if bits < MIN_KEY_BITS:
        raise SendlibInputError(f"{what} is too weak (about {bits:.0f} bits; at least {MIN_KEY_BITS} are needed)",
                                file=file, hint=f"make a key of your own: {_MAKE_KEY}")
    return key


def prove_synthetic(raw_dir: Path) -> dict:
    """The generator's manifest for the census-year folder `raw_dir` (in it or its parent), once every
    file of the folder is proved to be listed with a matching SHA-256; else SendlibInputError."""
    from sendlib.readers import sha256

    place = next((p for p in (raw_dir / "manifest.json", raw_dir.parent / "manifest.json") if p.is_file()), None)
    hint = ("only data written by `sendlib demo-data` are cleaned with the published key; for other data drop "
            "`synthetic: true` (or --synthetic) and set a key of your own")
    if place is None:
        raise SendlibInputError("the data are said to be synthetic but no manifest.json of the generator is beside "
                                "them", file=str(raw_dir), hint=hint)
    try:
        manifest = json.loads(place.read_text(encoding="utf-8"))
        listed = {str(f["path"]): str(f["sha256"]) for f in manifest["files"]}
    except (OSError, ValueError, UnicodeDecodeError, KeyError, TypeError):
        raise SendlibInputError("manifest.json is not the generator's manifest", file=str(place), hint=hint) from None
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
        raise SendlibInputError("manifest.json was not written by the generator", file=str(place), hint=hint)
    root = place.parent
    for f in sorted(p for p in raw_dir.rglob("*") if p.is_file() and p.name != "manifest.json"):
        rel = f.relative_to(root).as_posix()
        if rel not in listed:
            raise SendlibInputError("the data are said to be synthetic but this file is not in the generator's "
                                    "manifest", file=str(f), hint=hint)
        if sha256(f) != listed[rel]:
            raise SendlibInputError("the data are said to be synthetic but this file is not the one the generator "
                                    "wrote (its checksum differs)", file=str(f), hint=hint)
    return manifest


def person_keys(upn, persontableid=None) -> pd.Series:
    """Person keys: the UPN (stripped, upper-case) when present, else 'LA:' + persontableid."""
    u = pd.Series(upn, dtype=object).fillna("").astype(str).str.strip().str.upper()
    if persontableid is None:
        return u
    pid = "LA:" + pd.Series(persontableid, index=u.index, dtype=object).fillna("").astype(str).str.strip()
    return u.where(u != "", pid)


def person_ids(keys, key: bytes) -> pd.Series:
    """``person_id`` of each person key ('P' + 16 hex characters of the HMAC-SHA256)."""
    s = pd.Series(keys, dtype=object) if not isinstance(keys, pd.Series) else keys
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    ids = np.array(["P" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:ID_HEX]
                    for u in uniques] + [None], dtype=object)
    return pd.Series(ids[np.where(codes < 0, len(uniques), codes)], index=s.index, dtype=object)
