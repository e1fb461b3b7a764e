"""Autolog for LightGBM: ``lightgbm.train`` and the scikit-learn wrappers' ``fit``.

Both log the params, each evaluation metric per boosting round as the steps of
``<dataset>-<metric>`` (``valid_0-binary_logloss``, or the ``valid_names`` given), and
the model in LightGBM's text format with its signature; the wrappers also log their
metrics on the training data and the session's held-out set.
"""

from __future__ import annotations

from typing import Any

from lakeworks.tracking.autolog import models
from lakeworks.tracking.autolog import sklearn as sk
from lakeworks.tracking.autolog.session import FitRecord, Session
from lakeworks.tracking.autolog.xgboost import round_metrics


def patch(session: Session) -> int:
    import lightgbm
    from lightgbm import sklearn as wrappers

    session.patches.replace(lightgbm, "train", session.wrap_fit(_describe_train, _with_results))
    classes = [
        c
        for c in vars(wrappers).values()
        if isinstance(c, type) and issubclass(c, wrappers.LGBMModel)
    ]
    describe = _fit_describer(session)
    return 1 + session.patches.replace_owners(classes, "fit", session.wrap_fit(describe))


def _with_results(args: tuple, kwargs: dict) -> tuple[tuple, dict, Any]:
    """Add a ``record_evaluation`` callback, so each round's evaluation is kept."""
    import lightgbm

    results: dict[str, Any] = {}
    callbacks = [*(kwargs.get("callbacks") or []), lightgbm.record_evaluation(results)]
    return args, {**kwargs, "callbacks": callbacks}, results


def _describe_train(booster: Any, args: tuple, kwargs: dict, results: Any) -> FitRecord:
    params = dict(args[0] if args else kwargs.get("params") or {})
    params["num_boost_round"] = args[2] if len(args) > 2 else kwargs.get("num_boost_round", 100)
    return FitRecord(
        params=params,
        metrics=round_metrics(results),
        model=booster,
        signature=models.named_signature(booster.feature_name()),
    )


def _fit_describer(session: Session) -> Any:
    def describe(model: Any, args: tuple, kwargs: dict, _: Any) -> FitRecord:
        X, y = sk.fit_data(args, kwargs)
        return sk.record(session, model, X, y, round_metrics(model.evals_result_ or {}))

    return describe
