"""Scale of a printout (pixels per millimetre) from the period of its grid.

ECG paper has 1 mm minor lines (or dots) and 5 mm major lines. The autocorrelation of the
grid's column profile peaks at every multiple of the minor period, and higher at multiples of
five of it when minor and major lines differ. A page printed with 5 mm lines only has no such
five-fold pattern; then the period is ambiguous (1 mm or 5 mm) and both readings are returned
for the layout fit to decide.
"""

from __future__ import annotations

import numpy as np

from mtecg.layout.ink import FloatMap

MIN_PERIOD_PX = 2.0


def _autocorrelation(profile: np.ndarray) -> np.ndarray:
    p = profile - profile.mean()
    n = len(p)
    spectrum = np.fft.rfft(p, 2 * n)
    ac: np.ndarray = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    normalised: np.ndarray = ac / (ac[0] + 1e-9)
    return normalised


def _at(ac: np.ndarray, lag: float) -> float:
    i = int(lag)
    if i + 1 >= len(ac):
        return 0.0
    frac = lag - i
    return float(ac[i] * (1 - frac) + ac[i + 1] * frac)


def _peak_near(ac: np.ndarray, lag: float, half_window: float) -> float | None:
    """Sub-pixel position of the autocorrelation maximum within lag +- half_window."""
    lo, hi = max(1, int(np.floor(lag - half_window))), int(np.ceil(lag + half_window))
    if hi + 1 >= len(ac) or hi <= lo:
        return None
    j = lo + int(np.argmax(ac[lo : hi + 1]))
    if j <= lo - 1 or j + 1 >= len(ac):
        return None
    denom = ac[j - 1] - 2 * ac[j] + ac[j + 1]
    offset = 0.5 * (ac[j - 1] - ac[j + 1]) / denom if denom < 0 else 0.0
    return float(j + np.clip(offset, -0.5, 0.5))


def _refine(ac: np.ndarray, period: float) -> float:
    """Sharpens the period by walking out to ever farther multiples.

    Each step predicts the next multiple from the current estimate, so its error stays well
    inside the search window and the walk cannot jump to a neighbouring harmonic.
    """
    for k in (2, 4, 8, 16, 32):
        peak = _peak_near(ac, k * period, period / 3)
        if peak is None or ac[round(peak)] < 0.1:
            break
        period = peak / k
    return period


def _fundamental(ac: np.ndarray, max_lag: float) -> float | None:
    """The grid's fundamental period: the shortest lag whose multiples are all peaks.

    A comb test (autocorrelation at k p minus at (k - 1/2) p, averaged over multiples) is
    robust where a peak picker is not: a blurred scan's autocorrelation decays slowly from
    lag 0 with small ripples, and faint 1 mm dots make only shallow peaks, yet both show up
    consistently at every multiple of the true period and at none of half of it.
    """
    periods = np.arange(MIN_PERIOD_PX, max_lag / 4, 0.05)
    if len(periods) == 0:
        return None
    k = np.arange(1, 13)
    lags = np.outer(periods, k)
    valid = lags < max_lag
    lag_axis = np.arange(len(ac), dtype=np.float64)
    on = np.where(valid, np.interp(lags, lag_axis, ac), 0.0)
    off = np.where(valid, np.interp(lags - periods[:, None] / 2, lag_axis, ac), 0.0)
    counts = valid.sum(axis=1)
    score = np.where(counts >= 3, (on - off).sum(axis=1) / np.maximum(counts, 1), -1.0)
    best = float(score.max())
    if best < 0.1:
        return None
    return float(periods[int(np.argmax(score >= 0.7 * best))])


def grid_periods(grid: FloatMap) -> list[float]:
    """Candidate 1 mm periods in pixels, most likely first; empty when no grid is visible."""
    acs = [_autocorrelation(grid.sum(axis=axis).astype(np.float64)) for axis in (0, 1)]
    n = min(len(acs[0]), len(acs[1]))
    ac = (acs[0][:n] + acs[1][:n]) / 2
    peak = _fundamental(ac, n / 3)
    if peak is None:
        return []
    period = _refine(ac, peak)
    five_fold = _at(ac, 5 * period) - max(_at(ac, 4 * period), _at(ac, 6 * period))
    # Major lines every fifth minor line make every fifth peak stand out.
    if five_fold > 0.05:
        return [period]
    return [period, period / 5]
