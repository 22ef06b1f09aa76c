"""Calibration targets of the synthetic LA, read from `calibration.yml` beside this file."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import yaml


@lru_cache(maxsize=None)
def _load() -> dict:
    text = resources.files(__package__).joinpath("calibration.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load() -> dict:
    """The calibration targets as a nested dict (a fresh copy, safe to modify)."""
    import copy
    return copy.deepcopy(_load())


def shares(block: dict) -> dict:
    """Target shares of a calibration block given as `weights` (normalised) or `shares`."""
    raw = block.get("shares") or block.get("weights") or block
    total = float(sum(raw.values()))
    return {k: float(v) / total for k, v in raw.items()}


def keys_and_probs(mapping: dict) -> tuple[list, np.ndarray]:
    """(keys, probabilities) of a mapping of weights, normalised to sum to 1."""
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys], dtype=float)
    return keys, p / p.sum()
