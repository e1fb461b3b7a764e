"""Each drift statistic against SciPy's reference values (and Evidently's formulas)."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats as sp
from scipy.spatial import distance

from lakeworks.monitoring import drift

RNG = np.random.default_rng(7)


def scipy_wasserstein(a: np.ndarray, b: np.ndarray) -> float:
    return sp.wasserstein_distance(a, b) / max(np.std(a), drift.MIN_SPREAD)


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "shift"),
    [(40, 60, 0.0), (300, 200, 0.3), (1000, 1500, 0.1), (5000, 8000, 0.05)],
)
def test_numeric_statistics_match_scipy(n_ref: int, n_cur: int, shift: float) -> None:
    a = RNG.normal(0, 2, n_ref)
    b = RNG.normal(shift, 2, n_cur)
    s = drift.numeric(a, b)
    expected = sp.ks_2samp(a, b)
    assert s.kind == "numeric"
    assert s.ks == pytest.approx(expected.statistic, abs=1e-12)
    assert s.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert s.wasserstein == pytest.approx(scipy_wasserstein(a, b), rel=1e-9)


def test_large_samples_use_the_limiting_ks_distribution() -> None:
    a, b = RNG.normal(0, 1, 20_000), RNG.normal(0.02, 1, 30_000)
    s = drift.numeric(a, b)
    expected = sp.ks_2samp(a, b)  # SciPy: asymptotic (kstwo) above 10,000 rows
    assert s.ks == pytest.approx(expected.statistic, abs=1e-12)
    assert s.ks_pvalue == pytest.approx(expected.pvalue, rel=0.05)


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.integers(6, 60), elements=st.floats(-1e6, 1e6, width=32)),
    arrays(np.float64, st.integers(6, 60), elements=st.floats(-1e6, 1e6, width=32)),
)
def test_merged_sort_agrees_with_scipy_on_ties_and_signs(a: np.ndarray, b: np.ndarray) -> None:
    s = drift.numeric(a, b, few_values=0)
    with warnings.catch_warnings():  # SciPy's exact p-value may fall back to asymp; not tested
        warnings.simplefilter("ignore", RuntimeWarning)
        assert s.ks == pytest.approx(sp.ks_2samp(a, b).statistic, abs=1e-12)
    assert s.wasserstein == pytest.approx(scipy_wasserstein(a, b), rel=1e-9, abs=1e-9)


def test_negative_zero_equals_zero() -> None:
    s = drift.numeric(
        np.array([-0.0] * 5 + [1.0, 2, 3, 4, 5]), np.array([0.0] * 5 + [1.0, 2, 3, 4, 5])
    )
    assert s.ks == 0.0
    assert s.wasserstein == 0.0


def test_numeric_psi_over_reference_deciles() -> None:
    a = np.arange(1000, dtype=np.float64)
    b = np.concatenate([np.arange(500, dtype=np.float64), np.full(500, 950.0)])
    s = drift.numeric(a, b)
    # deciles of a cut at 99.., 199.., ...: b puts 10% in each of the 5 lower bins, 50% in the top
    ref = np.full(10, 0.1)
    cur = np.array([0.1] * 5 + [drift.EPSILON] * 4 + [0.5])
    assert s.psi == pytest.approx(float(np.sum((cur - ref) * np.log(cur / ref))), rel=1e-9)


def test_same_sample_has_no_distance() -> None:
    a = RNG.normal(size=500)
    s = drift.numeric(a, a.copy())
    assert (s.ks, s.wasserstein, s.psi) == (0.0, 0.0, 0.0)
    assert s.ks_pvalue == pytest.approx(1.0)


def test_categorical_statistics_over_the_union_with_unseen_categories() -> None:
    ref = pa.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = pa.array(["a"] * 40 + ["b"] * 30 + ["d"] * 30)  # c gone, d unseen before
    s = drift.categorical_arrays(ref, cur)
    assert s.kind == "categorical" and s.values == 4
    p = np.array([0.5, 0.3, 0.2, drift.EPSILON])  # a, b, c, d
    q = np.array([0.4, 0.3, drift.EPSILON, 0.3])
    assert s.psi == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-9)
    assert s.jensenshannon == pytest.approx(float(distance.jensenshannon(p, q)), rel=1e-9)
    assert s.chisquare_pvalue == 0.0  # a category the reference never had


def test_chisquare_against_scipy() -> None:
    ref = pa.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)
    cur = pa.array(["a"] * 45 + ["b"] * 35 + ["c"] * 40)
    s = drift.categorical_arrays(ref, cur)
    expected = sp.chisquare([45, 35, 40], np.array([50, 30, 20]) * 120 / 100).pvalue
    assert s.chisquare_pvalue == pytest.approx(float(expected), rel=1e-9)


def test_two_categories_use_the_z_test_of_two_proportions() -> None:
    ref = pa.array([True] * 60 + [False] * 40)
    cur = pa.array([True] * 45 + [False] * 55)
    s = drift.categorical_arrays(ref, cur)
    p1, p2, pooled = 0.4, 0.55, 95 / 200  # False sorts first
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    assert s.chisquare_pvalue == pytest.approx(float(2 * (1 - sp.norm.cdf(abs(z)))), rel=1e-9)


def test_few_distinct_numbers_are_compared_as_categories() -> None:
    s = drift.numeric(np.array([1.0, 2, 3] * 10), np.array([1.0, 2, 2] * 10))
    assert s.kind == "categorical"
    assert s.ks is None and s.jensenshannon is not None


def test_tiny_shares_give_empty_bins_a_millionth_of_the_smallest() -> None:
    shares = drift._shares(np.array([0.0, 1.0, 99_999.0]))
    assert shares[0] == pytest.approx(1e-5 / 1e6)
