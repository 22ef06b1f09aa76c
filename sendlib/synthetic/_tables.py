"""Small helpers shared by the generator's stages: growable column tables and exact allocation."""
from __future__ import annotations

import numpy as np

NO_DATE = np.int64(10**6)  # day number far in the future: "not yet" (cease, leaving dates)


class Table:
    """Columns of equal length kept as numpy arrays; rows are appended in batches."""

    def __init__(self, **dtypes):
        self.cols = {name: np.empty(0, dtype=dt) for name, dt in dtypes.items()}

    def __len__(self) -> int:
        return len(next(iter(self.cols.values())))

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.cols[name] = values

    def append(self, **values) -> np.ndarray:
        """Append a batch (every column given, scalars broadcast); returns the new row indices."""
        n = max(np.size(v) for v in values.values())
        start = len(self)
        missing = set(self.cols) - set(values)
        if missing:
            raise KeyError(f"columns not given: {sorted(missing)}")
        for name, col in self.cols.items():
            v = np.broadcast_to(np.asarray(values[name], dtype=col.dtype), (n,))
            self.cols[name] = np.concatenate([col, v])
        return np.arange(start, start + n)


def allocate(n: int, p: np.ndarray) -> np.ndarray:
    """Integer counts summing to `n` in proportion to `p` (largest remainder)."""
    p = np.asarray(p, dtype=float)
    if n <= 0 or p.sum() <= 0:
        return np.zeros(len(p), dtype=np.int64)
    exact = n * p / p.sum()
    base = np.floor(exact).astype(np.int64)
    rest = n - base.sum()
    order = np.lexsort((np.arange(len(p)), -(exact - base)))
    base[order[:rest]] += 1
    return base


def shuffled_labels(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """`n` category indices with counts allocated exactly by `p`, in random order."""
    counts = allocate(n, p)
    return rng.permutation(np.repeat(np.arange(len(p)), counts))


def gap_fill(rng: np.random.Generator, n: int, target: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Category indices for `n` newcomers that bring `current` counts towards `target` counts:
    newcomers go where the shortfall is (the calibration device used throughout)."""
    short = np.clip(np.asarray(target, float) - np.asarray(current, float), 0, None)
    if short.sum() <= 0:
        short = np.asarray(target, float)
    return shuffled_labels(rng, n, short)


def uniform_days(rng: np.random.Generator, low, high, n: int | None = None) -> np.ndarray:
    """Random day numbers in [low, high] (inclusive; arrays or scalars)."""
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    size = n if n is not None else np.broadcast(low, high).shape
    return low + np.floor(rng.random(size) * (high - low + 1)).astype(np.int64)
