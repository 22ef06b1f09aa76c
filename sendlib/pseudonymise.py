"""Pseudonymous person identifiers: ``person_id`` = ``"P"`` + the first 16 hex characters of
HMAC-SHA256(key, person key).

The person key is the UPN when the record has one (so that the SEN2 return and the school census
link, and a person links across census years), otherwise ``"LA:" + persontableid``. UPNs are
compared stripped and upper-case.

The secret key comes from the environment variable ``SENDLIB_PSEUDONYM_KEY`` or else from a key
file (default ``.sendlib-key`` in the project root, listed in ``.gitignore``). Without a key,
real data cannot be cleaned; synthetic data (whose ``manifest.json`` says so) uses the fixed,
published :data:`SYNTHETIC_KEY`, because nothing in it needs protecting.

Names, full dates of birth, UPNs, ULNs and postcodes never leave the cleaning stage: only
``person_id`` and the month of birth do.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import numpy as np
import pandas as pd

from sendlib.errors import SendlibInputError

ENV_VAR = "SENDLIB_PSEUDONYM_KEY"
DEFAULT_KEY_FILE = Path(__file__).resolve().parents[1] / ".sendlib-key"
SYNTHETIC_KEY = b"sendlib synthetic data: published key, not a secret"
ID_HEX = 16


def load_key(key_file=None, synthetic: bool = False) -> bytes:
    """The pseudonymisation key: env var, then key file; the published key for synthetic data.

    Raises SendlibInputError, saying how to create a key, when real data has none.
    """
    if synthetic:
        return SYNTHETIC_KEY
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        return value.encode("utf-8")
    path = Path(key_file) if key_file else DEFAULT_KEY_FILE
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value.encode("utf-8")
        raise SendlibInputError("the pseudonymisation key file is empty", file=str(path),
                                hint='write a key into it: python -c "import secrets; print(secrets.token_hex(32))" > '
                                     f"{path}")
    raise SendlibInputError(f"no pseudonymisation key: set {ENV_VAR} or create the key file", file=str(path),
                            hint='python -c "import secrets; print(secrets.token_hex(32))" > ' f"{path}"
                                 " (keep it secret, never commit it, use the same key every cycle)")


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
