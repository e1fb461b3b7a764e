"""Fairness over a sensitive column: per-group rates and the gaps between groups.

A few counts per group do the work (scikit-learn's ``confusion_matrix`` of each group's
rows); fairlearn's ``MetricFrame`` would compute the same numbers, and is used by the tests
as an independent check, but is not worth a runtime dependency for these lines.

Definitions (as fairlearn's): selection rate = share of rows predicted positive; TPR =
TP / (TP + FN); FPR = FP / (FP + TN). Demographic-parity difference = largest minus
smallest selection rate; its ratio = smallest / largest; equalized-odds difference = the
larger of the TPR gap and the FPR gap. A report passes when both differences are at most
``threshold``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lakeworks.errors import InvalidInputError
from lakeworks.governance.frames import (
    call_model,
    check_lengths,
    check_no_nulls,
    plain,
    predictor,
    split,
    to_array,
    to_frame,
)

MISSING = "(missing)"


@dataclass(frozen=True)
class GroupRates:
    """One group's rows: how many, and how the model treated them."""

    group: str
    count: int
    positives: int  # rows whose true label is the positive one
    selection_rate: float
    tpr: float | None  # None: the group has no positive rows
    fpr: float | None  # None: the group has no negative rows
    accuracy: float
    small: bool  # fewer rows than min_group_size: its rates are noisy


@dataclass(frozen=True)
class FairnessReport:
    """Per-group rates, the gaps between groups, and whether the gaps are within threshold."""

    sensitive: str
    positive_label: Any
    threshold: float
    min_group_size: int
    groups: tuple[GroupRates, ...]
    demographic_parity_difference: float
    demographic_parity_ratio: float
    equalized_odds_difference: float
    passed: bool
    failures: tuple[str, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the form the registry stores)."""
        data = asdict(self)
        data["positive_label"] = plain(self.positive_label)
        data["groups"] = [asdict(g) for g in self.groups]
        data["failures"] = list(self.failures)
        data["notes"] = list(self.notes)
        return data


def fairness_report(
    y_true: Any,
    y_pred: Any,
    sensitive: Any,
    *,
    threshold: float = 0.1,
    positive_label: Any = 1,
    min_group_size: int = 30,
    sensitive_name: str = "sensitive",
) -> FairnessReport:
    """Compare how predictions treat each group of ``sensitive``.

    ``y_pred`` are predicted labels (not scores); with more than two labels,
    ``positive_label`` is compared against all the others.

    Rows whose sensitive value is null form their own group, named ``"(missing)"``. Groups
    with fewer than ``min_group_size`` rows are flagged ``small`` (and named in the notes)
    but still count in the differences.

    Example:
        >>> r = fairness_report([1, 0, 1, 0], [1, 0, 0, 0], ["a", "a", "b", "b"])
        >>> r.demographic_parity_difference, r.passed
        (0.5, False)
    """
    if not 0 <= threshold <= 1:
        raise InvalidInputError(
            f"threshold must be between 0 and 1, found {threshold}",
            expected="0..1",
            found=threshold,
        )
    truth = to_array(y_true, what="y_true")
    pred = to_array(y_pred, what="y_pred")
    groups = to_array(sensitive, what=f"sensitive column {sensitive_name!r}")
    check_lengths(y_true=truth, y_pred=pred, sensitive=groups)
    if len(truth) == 0:
        raise InvalidInputError("no rows to compute fairness over", expected=">= 1 row", found=0)
    _check_labels(truth, pred, positive_label)
    is_true = truth == positive_label
    is_pred = pred == positive_label
    codes, names = _groups(groups)
    rates = tuple(
        _rates(name, is_true[codes == code], is_pred[codes == code], min_group_size)
        for code, name in enumerate(names)
    )
    return _report(rates, sensitive_name, positive_label, threshold, min_group_size)


def model_fairness(
    model: Any,
    data: Any,
    *,
    target: str,
    sensitive: str,
    features: list[str] | None = None,
    threshold: float = 0.1,
    positive_label: Any = 1,
    min_group_size: int = 30,
) -> FairnessReport:
    """``fairness_report`` of a model's predictions on ``data`` over its ``sensitive`` column.

    The sensitive column is used only for grouping: unless ``features`` names it, it is
    not passed to the model (the model's ``feature_names_in_`` decide when it has them).
    """
    frame = to_frame(data)
    if sensitive not in frame.columns:
        raise InvalidInputError(
            f"sensitive column {sensitive!r} is not in the data; its columns are "
            f"{[str(c) for c in frame.columns]}",
            hint="pass sensitive= one of the data's columns",
            column=sensitive,
        )
    if features is None and getattr(model, "feature_names_in_", None) is None:
        features = [c for c in frame.columns if c not in (target, sensitive)]
    x, y = split(frame, target, features, model)
    pred = call_model(model, predictor(model), x)
    return fairness_report(
        y,
        pred,
        frame[sensitive],
        threshold=threshold,
        positive_label=positive_label,
        min_group_size=min_group_size,
        sensitive_name=sensitive,
    )


def _check_labels(truth: np.ndarray, pred: np.ndarray, positive_label: Any) -> None:
    for what, values in (("y_true", truth), ("y_pred", pred)):
        check_no_nulls(values, what, hint="fairness needs a label on every row: drop or fill")
    if pd.api.types.is_float_dtype(pred.dtype) and np.any(np.mod(pred, 1) != 0):
        raise InvalidInputError(
            "y_pred holds scores, not labels (values between the labels, like "
            f"{float(pred[np.mod(pred, 1) != 0][0])})",
            hint="pass predicted labels, e.g. model.predict(X) or (proba >= 0.5)",
            found="scores",
        )
    labels = set(pd.unique(truth).tolist()) | set(pd.unique(pred).tolist())
    if positive_label not in labels:
        raise InvalidInputError(
            f"positive_label {positive_label!r} is not among the labels {sorted(map(str, labels))}",
            hint="pass positive_label= the label that means a favourable outcome",
            expected=str(positive_label),
            found=sorted(map(str, labels)),
        )


def _groups(groups: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each row's group number, and the groups' names (values as text, nulls "(missing)");
    values of one text (1 and "1") are one group."""
    codes, uniques = pd.factorize(groups, use_na_sentinel=True)
    texts = [str(u) for u in uniques] + [MISSING]
    names = sorted(set(texts[: len(uniques)] + ([MISSING] if (codes < 0).any() else [])))
    number = {name: i for i, name in enumerate(names)}
    return np.array([number.get(t, -1) for t in texts])[codes], names


def _rates(group: str, is_true: np.ndarray, is_pred: np.ndarray, min_size: int) -> GroupRates:
    tp = int((is_true & is_pred).sum())
    fn = int((is_true & ~is_pred).sum())
    fp = int((~is_true & is_pred).sum())
    tn = int((~is_true & ~is_pred).sum())
    count = tp + fn + fp + tn
    return GroupRates(
        group=group,
        count=count,
        positives=tp + fn,
        selection_rate=(tp + fp) / count,
        tpr=tp / (tp + fn) if tp + fn else None,
        fpr=fp / (fp + tn) if fp + tn else None,
        accuracy=(tp + tn) / count,
        small=count < min_size,
    )


def _report(
    rates: tuple[GroupRates, ...], name: str, positive: Any, threshold: float, min_size: int
) -> FairnessReport:
    selection = [g.selection_rate for g in rates]
    dp_difference = max(selection) - min(selection)
    dp_ratio = min(selection) / max(selection) if max(selection) else 1.0
    eo_difference = max(_gap([g.tpr for g in rates]), _gap([g.fpr for g in rates]))
    failures = []
    if dp_difference > threshold:
        failures.append(
            f"demographic-parity difference {dp_difference:.3f} is over the threshold {threshold}"
        )
    if eo_difference > threshold:
        failures.append(
            f"equalized-odds difference {eo_difference:.3f} is over the threshold {threshold}"
        )
    notes = [
        f"group {g.group!r} has {g.count} rows (< {min_size}): its rates are noisy"
        for g in rates
        if g.small
    ]
    if len(rates) == 1:
        notes.append(f"only one group ({rates[0].group!r}): there is nothing to compare")
    return FairnessReport(
        sensitive=name,
        positive_label=positive,
        threshold=threshold,
        min_group_size=min_size,
        groups=rates,
        demographic_parity_difference=dp_difference,
        demographic_parity_ratio=dp_ratio,
        equalized_odds_difference=eo_difference,
        passed=not failures,
        failures=tuple(failures),
        notes=tuple(notes),
    )


def _gap(values: list[float | None]) -> float:
    """Largest minus smallest rate over the groups where it is defined."""
    defined = [v for v in values if v is not None]
    return max(defined) - min(defined) if defined else 0.0
