"""Drift statistics of one column between a reference and a current sample.

Numeric columns: both samples are merged in one sort (each value carries which side it
came from in its lowest bit, see ``_keys``), and every statistic is read off the merged
order in a few linear passes:

- Kolmogorov-Smirnov: the largest gap between the two empirical CDFs, and its p-value
  (SciPy's own ``ks_2samp`` up to ``EXACT_KS_MAX`` rows a side, where it is exact; above,
  the limiting Kolmogorov distribution, ``scipy.special.kolmogorov``);
- Wasserstein (earth mover's) distance, divided by the reference's standard deviation
  (at least 0.001) so that one threshold fits every column, as Evidently does;
- PSI over ten bins cut at the reference's deciles.

Categorical columns (strings, booleans, numbers with at most ``FEW_VALUES`` distinct
values, integers with at most ``FEW_INTEGERS``): PSI and the Jensen-Shannon distance over
the union of both sides' categories (a category one side lacks gets a small share, see
``_shares``), and the chi-square goodness-of-fit p-value of the current counts against
the reference's shares (for two categories: the z-test of two proportions; both kept as
``chisquare_pvalue``), as Evidently computes them.

Nulls (and NaN) are left out of every statistic; the caller reports their shares.
"""

from __future__ import annotations

import bisect
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import special
from scipy import stats as sp
from scipy.spatial import distance

from lakeworks.monitoring.methods import METHOD_STATISTIC

EPSILON = 1e-4  # the share given to a bin or category one side lacks (Evidently's)
FEW_VALUES = 5  # numeric columns with at most this many distinct values are categorical
FEW_INTEGERS = 10  # ... integer columns with at most this many (Evidently's type inference)
EXACT_KS_MAX = 10_000  # rows of the larger side up to which SciPy's ks_2samp decides
PSI_BINS = 10
MIN_SPREAD = 0.001  # the smallest reference std the Wasserstein distance is divided by
_ONE = np.uint64(1)


@dataclass(frozen=True)
class Statistics:
    """What one column's samples give: the statistics (None: not defined for the kind)."""

    kind: str  # "numeric" or "categorical"
    values: int  # distinct non-null values over both sides
    ks: float | None = None
    ks_pvalue: float | None = None
    wasserstein: float | None = None
    psi: float | None = None
    jensenshannon: float | None = None
    chisquare_pvalue: float | None = None

    def get(self, method: str) -> float | None:
        return getattr(self, METHOD_STATISTIC[method])


def numeric(reference: np.ndarray, current: np.ndarray, few_values: int = FEW_VALUES) -> Statistics:
    """Statistics of two float64 samples without nulls or NaN (neither empty); compared
    as categories when they hold at most ``few_values`` distinct values together.

    Example:
        >>> s = numeric(np.array([1.0, 2, 3, 4, 5, 6]), np.array([4.0, 5, 6, 7, 8, 9]))
        >>> round(s.ks, 3), round(s.wasserstein, 3)
        (0.5, 1.757)
    """
    keys = _keys(reference, current)
    bits = keys.view(np.uint64)
    change = (bits[1:] ^ bits[:-1]) > _ONE  # the last entry of each run of equal values
    distinct = int(np.count_nonzero(change)) + 1
    if distinct <= few_values:
        return categorical_arrays(pa.array(reference), pa.array(current))
    n_ref, n_cur = len(reference), len(current)
    merged = _floats(keys)
    seen = np.bitwise_and(keys, 1, out=keys)  # the side bits, in place: keys are done
    np.cumsum(seen, out=seen)  # current values at or before each position
    psi_value = _numeric_psi(merged, seen)
    # the gap of the two CDFs times n_ref * n_cur: ref_seen * n_cur - cur_seen * n_ref,
    # with ref_seen = position + 1 - cur_seen; computed in place in ``seen``
    gap = np.multiply(seen, -(n_ref + n_cur), out=seen)
    gap += np.arange(n_cur, (len(gap) + 1) * n_cur, n_cur, dtype=np.int64)
    np.abs(gap, out=gap)
    top = gap[:-1].max(initial=0) if distinct == len(gap) else gap[:-1][change].max(initial=0)
    ks = int(max(top, gap[-1])) / (n_ref * n_cur)
    steps = np.diff(merged)
    # einsum, not dot: BLAS's threads spin on a busy machine (5 ms of CPU here, 0.4 ms)
    wasserstein = float(np.einsum("i,i->", gap[:-1], steps)) / (n_ref * n_cur)
    del gap, steps, merged
    spread = max(float(np.std(reference)), MIN_SPREAD)
    return Statistics(
        kind="numeric",
        values=distinct,
        ks=ks,
        ks_pvalue=_ks_pvalue(reference, current, ks),
        wasserstein=wasserstein / spread,
        psi=psi_value,
    )


def _keys(reference: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Both samples merged in ascending order as int64 keys: each float's bits with the
    lowest bit replaced by its side (0 reference, 1 current).

    Sorted as integers, non-negative floats come out in order and negative ones (sign bit
    set: the most negative integers) in reverse, so that block is turned around. Entries
    of one value stay together (their order inside the run does not matter). Values one
    unit in the last place apart count as equal, a 2**-52 relative error.
    """
    n = len(reference)
    both = np.empty(n + len(current))
    np.add(reference, 0.0, out=both[:n])  # + 0.0: -0.0 becomes 0.0, so both zeros tie
    np.add(current, 0.0, out=both[n:])
    keys = both.view(np.int64)
    keys &= ~1
    keys[n:] |= 1
    keys.sort()
    negatives = int(np.searchsorted(keys, 0))
    keys[:negatives] = keys[:negatives][::-1]
    return keys


def _floats(keys: np.ndarray) -> np.ndarray:
    """The float of each key, without its side bit: equal values give equal floats."""
    return np.bitwise_and(keys, ~1).view(np.float64)


def _ks_pvalue(reference: np.ndarray, current: np.ndarray, statistic: float) -> float:
    n_ref, n_cur = len(reference), len(current)
    if max(n_ref, n_cur) <= EXACT_KS_MAX:
        with warnings.catch_warnings():  # "exact calculation unsuccessful": it falls back
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(sp.ks_2samp(reference, current).pvalue)
    # the limiting Kolmogorov distribution: SciPy's finite-n kstwo takes up to a second
    # per column at these sizes and differs by O(1/sqrt(n))
    return float(special.kolmogorov(np.sqrt(n_ref * n_cur / (n_ref + n_cur)) * statistic))


def _numeric_psi(merged: np.ndarray, cur_seen: np.ndarray) -> float:
    """PSI over bins cut at the reference's deciles (repeated edges merged), read off the
    merged order: ``merged`` holds both sides' values in order and ``cur_seen[i]`` counts
    the current values up to position ``i`` (so ``i + 1 - cur_seen[i]`` the reference's)."""
    n_cur = int(cur_seen[-1])
    n_ref = len(merged) - n_cur

    def ref_seen(i: int) -> int:
        return i + 1 - int(cur_seen[i])

    # the last reference value of each tenth: bins of equal reference counts
    ranks = [max(0, math.ceil(n_ref * i / PSI_BINS) - 1) for i in range(1, PSI_BINS)]
    at = [bisect.bisect_left(range(len(merged)), rank + 1, key=ref_seen) for rank in ranks]
    edges = np.unique(merged[at])
    last = np.searchsorted(merged, edges, "right") - 1  # last position at or below each edge
    cur = cur_seen[last].astype(np.int64)
    ref = last + 1 - cur
    ref_counts = np.diff(ref, prepend=0, append=n_ref)
    cur_counts = np.diff(cur, prepend=0, append=n_cur)
    return psi(ref_counts, cur_counts)


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins.

    Example:
        >>> round(psi(np.array([50, 50]), np.array([50, 50])), 6)
        0.0
    """
    ref, cur = _shares(reference_counts), _shares(current_counts)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _shares(counts: np.ndarray) -> np.ndarray:
    """Each bin's share; an empty bin gets ``EPSILON``, or a millionth of the smallest
    share when that is below ``EPSILON`` (Evidently's rule)."""
    shares = counts / max(int(counts.sum()), 1)
    empty = shares == 0
    if empty.any() and not empty.all():
        smallest = float(shares[~empty].min())
        shares[empty] = smallest / 1e6 if smallest <= EPSILON else EPSILON
    return shares


def categorical_arrays(
    reference: pa.Array | pa.ChunkedArray, current: pa.Array | pa.ChunkedArray
) -> Statistics:
    """Statistics of two samples without nulls, compared by category counts.

    Example:
        >>> s = categorical_arrays(pa.array(["a", "a", "b"]), pa.array(["a", "b", "c"]))
        >>> s.kind, round(s.psi, 3)
        ('categorical', 3.195)
    """
    ref = _counts(reference)
    cur = _counts(current)
    categories = sorted(set(ref) | set(cur), key=repr)
    ref_counts = np.array([ref.get(c, 0) for c in categories], dtype=np.float64)
    cur_counts = np.array([cur.get(c, 0) for c in categories], dtype=np.float64)
    return Statistics(
        kind="categorical",
        values=len(categories),
        psi=psi(ref_counts, cur_counts),
        jensenshannon=float(distance.jensenshannon(_shares(ref_counts), _shares(cur_counts))),
        chisquare_pvalue=_category_pvalue(ref_counts, cur_counts),
    )


def _counts(values: pa.Array | pa.ChunkedArray) -> dict[object, int]:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    counted = pc.value_counts(values)
    return dict(
        zip(
            counted.field("values").to_pylist(),
            counted.field("counts").to_pylist(),
            strict=True,
        )
    )


def _category_pvalue(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Evidently's small-sample test: a z-test of two proportions for two categories,
    else chi-square of the current counts against the reference's shares."""
    n_ref, n_cur = ref_counts.sum(), cur_counts.sum()
    if len(ref_counts) == 1:
        return 1.0
    if len(ref_counts) == 2:
        p_ref, p_cur = ref_counts[0] / n_ref, cur_counts[0] / n_cur
        pooled = (ref_counts[0] + cur_counts[0]) / (n_ref + n_cur)
        z = (p_ref - p_cur) / np.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / n_cur))
        return float(2 * (1 - sp.norm.cdf(abs(z))))
    expected = ref_counts * (n_cur / n_ref)
    if np.any(expected == 0):  # a category the reference lacks: certainly not the same
        return 0.0
    return float(sp.chisquare(cur_counts, expected).pvalue)
