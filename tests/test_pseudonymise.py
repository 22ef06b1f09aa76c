"""The published key only for the generator's own data, proved by its manifest; a strong secret key
for everything else, whatever files sit nearby (issue 14, item 1)."""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from sendlib import cleaning, cli, pseudonymise
from sendlib.errors import SendlibInputError
from tests.cleaning_fixtures import small_la

CENSUS = "2025-01-16"
pytestmark = pytest.mark.fast


@pytest.fixture
def generated(demo_raw, tmp_path) -> Path:
    """A copy of the generator's 2025 folder with its manifest: the census-year folder."""
    root = tmp_path / "demo"
    shutil.copytree(demo_raw / "2025", root / "2025")
    shutil.copy(demo_raw / "manifest.json", root / "manifest.json")
    return root / "2025"


def _published_matches(person_csv: Path, persons: pd.DataFrame) -> tuple[int, int]:
    """(distinct UPNs whose person_id is the HMAC under the published key, distinct UPNs)."""
    upns = set(pd.read_csv(person_csv, dtype=str, keep_default_na=False)["upn"].str.strip().str.upper()) - {""}
    ids = {"P" + hmac.new(pseudonymise.SYNTHETIC_KEY, u.encode(), hashlib.sha256).hexdigest()[:16] for u in upns}
    return len(ids & set(persons["person_id"])), len(upns)


def test_generator_data_said_synthetic_use_the_published_key(generated):
    res = cleaning.clean(generated, None, CENSUS, synthetic=True)
    matched, upns = _published_matches(generated / "person.csv", res.tables["persons"])
    assert upns > 100 and matched == upns  # every person with a UPN
    assert res.metadata["synthetic"] is True


def test_generator_data_not_said_synthetic_use_the_secret_key(generated):
    """The manifest beside the files is not enough: without the explicit flag, the secret key."""
    res = cleaning.clean(generated, None, CENSUS)
    matched, upns = _published_matches(generated / "person.csv", res.tables["persons"])
    assert upns > 100 and matched == 0
    assert res.metadata["synthetic"] is False


def test_a_manifest_copied_beside_real_data_does_not_unlock_the_published_key(demo_raw, tmp_path):
    raw = small_la(tmp_path / "la" / "2025", synthetic=False)
    shutil.copy(demo_raw / "manifest.json", raw / "manifest.json")
    shutil.copy(demo_raw / "manifest.json", raw.parent / "manifest.json")
    with pytest.raises(SendlibInputError, match="not in the generator's manifest"):
        cleaning.clean(raw, None, CENSUS, synthetic=True)
    res = cleaning.clean(raw, None, CENSUS)  # without the claim: the secret key, nothing published
    assert _published_matches(raw / "person.csv", res.tables["persons"])[0] == 0


@pytest.mark.parametrize("change", ["edit", "extra", "hand-made manifest", "no manifest", "bad json"])
def test_synthetic_claim_refused_unless_every_file_is_proved(generated, change):
    root = generated.parent
    if change == "edit":  # one real record slipped into a synthetic file
        with open(generated / "person.csv", "a", encoding="utf-8") as fh:
            fh.write("99999999,Real,Person,2012-01-01,M,WBRI,KT1 1AA,A123456789012,,\n")
        expected = "checksum differs"
    elif change == "extra":
        (generated / "notes.txt").write_text("real extract from the case system\n")
        expected = "not in the generator's manifest"
    elif change == "hand-made manifest":
        (root / "manifest.json").write_text(json.dumps({"synthetic": True}))
        expected = "not the generator's manifest"
    elif change == "no manifest":
        (root / "manifest.json").unlink()
        expected = "no manifest.json"
    else:
        (root / "manifest.json").write_text("{not json")
        expected = "not the generator's manifest"
    with pytest.raises(SendlibInputError, match=expected):
        cleaning.clean(generated, None, CENSUS, synthetic=True)


@pytest.mark.parametrize("key", ["a", "a-secret", "password1234567890", "0123456789abcdef0123456789abcde",
                                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 pseudonymise.SYNTHETIC_KEY.decode()])
def test_weak_or_published_keys_are_refused(key, monkeypatch, tmp_path):
    monkeypatch.setenv(pseudonymise.ENV_VAR, key)
    with pytest.raises(SendlibInputError, match="too weak|published key"):
        pseudonymise.load_key()
    monkeypatch.delenv(pseudonymise.ENV_VAR)
    (tmp_path / "key").write_text(key + "\n")
    with pytest.raises(SendlibInputError, match="too weak|published key"):
        pseudonymise.load_key(tmp_path / "key")


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcdef", "c0rrect-h0rse-battery-staple-42!"])
def test_keys_of_128_bits_are_accepted(key, monkeypatch):
    monkeypatch.setenv(pseudonymise.ENV_VAR, key)
    assert pseudonymise.load_key() == key.encode()
    assert pseudonymise.key_bits(key) >= 128


def test_cli_refuses_a_weak_key_and_an_unproved_claim_in_one_line(demo_raw, tmp_path, monkeypatch, capsys):
    raw = small_la(tmp_path / "la" / "2025", synthetic=False)
    shutil.copy(demo_raw / "manifest.json", raw.parent / "manifest.json")
    code = cli.main(["clean", str(raw), str(tmp_path / "out"), "--census-date", CENSUS, "--synthetic", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "checksum differs" in err, err
    monkeypatch.setenv(pseudonymise.ENV_VAR, "short")
    code = cli.main(["clean", str(raw), str(tmp_path / "out"), "--census-date", CENSUS, "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "too weak" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
