"""Forecast chart: published history, point forecast and shaded 80% and 95% intervals (PNG)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_forecast(history: pd.Series, forecast: pd.DataFrame, path, *, title: str = "") -> Path:
    """Draw `history` (index census year) and the total `forecast` rows (year, point, bounds) and
    write a PNG to `path`. Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fc = forecast.sort_values("year")
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.plot(history.index, history.to_numpy(), color="black", marker="o", ms=3, label="published")
    # join the forecast to the last published year so the line is continuous
    x = [history.index[-1], *fc["year"]]
    ax.fill_between(x, [history.iloc[-1], *fc["lower95"]], [history.iloc[-1], *fc["upper95"]],
                    color="tab:blue", alpha=0.15, lw=0, label="95% interval")
    ax.fill_between(x, [history.iloc[-1], *fc["lower80"]], [history.iloc[-1], *fc["upper80"]],
                    color="tab:blue", alpha=0.3, lw=0, label="80% interval")
    ax.plot(x, [history.iloc[-1], *fc["point"]], color="tab:blue", marker="o", ms=3, label="forecast")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("January census")
    ax.set_ylabel("EHC plans")
    ax.set_title(title or "EHC plans")
    method = fc["method"].iloc[0] if len(fc) else ""
    ax.text(0.01, 0.98, f"method: {method}, origin {int(fc['origin'].iloc[0]) if len(fc) else ''}",
            transform=ax.transAxes, va="top", fontsize=8, color="0.3")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
    return path
