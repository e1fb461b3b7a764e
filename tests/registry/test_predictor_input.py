"""What a Predictor hands the model: a numpy matrix for a plain scikit-learn estimator
over numeric columns (no pandas round trip), a pandas frame otherwise; same answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from lakeworks.registry.predictor import _takes_matrix

rng = np.random.default_rng(3)
FRAME = pd.DataFrame({"a": rng.normal(size=200), "b": rng.integers(0, 9, 200)})
TARGET = (FRAME.a > 0).astype("int64")


def test_a_plain_estimator_gets_a_matrix_with_the_same_answers(ws) -> None:  # noqa: ANN001
    model = GradientBoostingClassifier(n_estimators=10).fit(FRAME, TARGET)
    ws.models.register("gbc", model=model, training_data=FRAME)
    predictor = ws.models.load("gbc/1")
    table = pa.Table.from_pandas(FRAME, preserve_index=False)
    assert _takes_matrix(model, table)
    assert predictor.predict(table)["prediction"].to_pylist() == model.predict(FRAME).tolist()
    # columns sent in another order are put in the signature's order first
    swapped = table.select(["b", "a"])
    assert predictor.predict(swapped)["prediction"].to_pylist() == model.predict(FRAME).tolist()


def test_frames_where_names_or_types_matter() -> None:
    table = pa.Table.from_pandas(FRAME, preserve_index=False)
    by_name = ColumnTransformer([("b", OneHotEncoder(), ["b"])], remainder="passthrough")
    pipeline = make_pipeline(by_name, LogisticRegression()).fit(FRAME, TARGET)
    assert not _takes_matrix(pipeline, table)  # selects columns by name
    fitted = LogisticRegression().fit(FRAME, TARGET)
    assert not _takes_matrix(fitted, table.select(["b", "a"]))  # not its fitted order
    texts = table.append_column("c", pa.array(["x"] * 200))
    assert not _takes_matrix(LogisticRegression().fit(FRAME.assign(c=1), TARGET), texts)
    assert not _takes_matrix(object(), table)
