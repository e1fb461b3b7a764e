"""Autolog for XGBoost: ``xgboost.train`` and the scikit-learn wrappers' ``fit``.

Both log the params, each evaluation metric per boosting round as the steps of
``<dataset>-<metric>`` (``validation_0-logloss``, or the names given in ``evals``), and
the model in XGBoost's JSON format with its signature. The wrappers also log their
metrics on the training data and the session's held-out set; ``fit`` calls ``train``
inside, which is not logged a second time.
"""

from __future__ import annotations

from typing import Any

from lakeworks.tracking.autolog import models
from lakeworks.tracking.autolog import sklearn as sk
from lakeworks.tracking.autolog.session import FitRecord, Session


def patch(session: Session) -> int:
    import xgboost
    from xgboost import sklearn as wrappers

    session.patches.replace(xgboost, "train", session.wrap_fit(_describe_train, _with_results))
    classes = [c for c in vars(wrappers).values() if _is_wrapper(c, wrappers.XGBModel)]
    describe = _fit_describer(session)
    return 1 + session.patches.replace_owners(classes, "fit", session.wrap_fit(describe))


def round_metrics(results: dict[str, dict[str, list[Any]]]) -> list[Any]:
    """``{dataset: {metric: [value per round]}}`` as metric points, one step a round."""
    from lakeworks.tracking.records import Metric

    return [
        Metric(f"{dataset}-{metric}", float(_value(value)), step)
        for dataset, by_metric in results.items()
        for metric, values in by_metric.items()
        for step, value in enumerate(values)
    ]


def _with_results(args: tuple, kwargs: dict) -> tuple[tuple, dict, Any]:
    """Make ``train`` record each round's evaluation (into the caller's dict if given)."""
    if kwargs.get("evals_result") is None:
        kwargs = {**kwargs, "evals_result": {}}
    return args, kwargs, kwargs["evals_result"]


def _describe_train(booster: Any, args: tuple, kwargs: dict, results: Any) -> FitRecord:
    params = dict(args[0] if args else kwargs.get("params") or {})
    rounds = args[2] if len(args) > 2 else kwargs.get("num_boost_round", 10)
    params["num_boost_round"] = rounds
    names = booster.feature_names or [f"f{i}" for i in range(booster.num_features())]
    return FitRecord(
        params=params,
        metrics=round_metrics(results),
        model=booster,
        signature=models.named_signature(list(names)),
    )


def _fit_describer(session: Session) -> Any:
    def describe(model: Any, args: tuple, kwargs: dict, _: Any) -> FitRecord:
        X, y = sk.fit_data(args, kwargs)
        rounds = model.evals_result() if kwargs.get("eval_set") else {}
        return sk.record(session, model, X, y, round_metrics(rounds))

    return describe


def _is_wrapper(value: Any, base: type) -> bool:
    return isinstance(value, type) and issubclass(value, base)


def _value(value: Any) -> float:
    return value[0] if isinstance(value, tuple) else value  # (mean, std) under cv
