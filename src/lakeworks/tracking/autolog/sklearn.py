"""Autolog for scikit-learn: ``fit`` of every estimator scikit-learn lists.

Each class of ``sklearn.utils.all_estimators()`` that defines ``fit`` itself is patched
(subclasses inheriting it run the patched one); a fit inside another logged fit is not
logged (``GridSearchCV`` logs once, its inner fits do not). A fit logs the estimator's
params (``get_params()``, nested ones as ``step__param``), its metrics on the training
data and on the session's held-out set, and the model (skops, by the registry's format)
with its signature.
"""

from __future__ import annotations

from typing import Any

from lakeworks.tracking.autolog.scores import scores
from lakeworks.tracking.autolog.session import FitRecord, Session


def patch(session: Session) -> int:
    """Patch the estimators' ``fit``; returns how many classes were patched."""
    from sklearn.utils import all_estimators

    classes = [cls for _, cls in all_estimators()]
    return session.patches.replace_owners(classes, "fit", session.wrap_fit(describer(session)))


def describer(session: Session) -> Any:
    def describe(result: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _: Any) -> FitRecord:
        estimator = args[0]
        X, y = fit_data(args, kwargs)
        return record(session, estimator, X, y)

    return describe


def record(session: Session, estimator: Any, X: Any, y: Any, metrics: Any = ()) -> FitRecord:
    """What a fitted sklearn-style estimator logs (the boosting wrappers reuse it)."""
    points = [*metrics, *scores(estimator, X, y, "training")]
    if session.eval_data is not None:
        points += scores(estimator, *session.eval_data, "eval")
    return FitRecord(params=estimator.get_params(deep=True), metrics=points, model=estimator, X=X)


def fit_data(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """``X`` and ``y`` of a ``fit(self, X, y=None, ...)`` call."""
    X = args[1] if len(args) > 1 else kwargs.get("X")
    y = args[2] if len(args) > 2 else kwargs.get("y")
    return X, y
