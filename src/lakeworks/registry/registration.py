"""What registering a version writes: the model's folder (its files in a safe format and
``lakeworks.json``), found from a model object or a folder a run logged, and its signature.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakeworks.errors import InvalidInputError, UserCodeError
from lakeworks.registry import formats
from lakeworks.registry.files import read_record, write_record
from lakeworks.registry.formats import FormatInfo, ModelFormat
from lakeworks.registry.formats.base import refuse_code
from lakeworks.registry.formats.mlmodel import describe
from lakeworks.registry.predictor import model_input
from lakeworks.registry.signature import Signature, to_arrow

SAMPLE_ROWS = 5
# a folder without lakeworks.json: its format by the file it holds
_BY_FILE = {
    "model.skops": "sklearn",
    "model.json": "xgboost",
    "model.ubj": "xgboost",
    "model.txt": "lightgbm",
    "model.onnx": "onnx",
    "model.pkl": "python",
}

_BY_SUFFIX = {".onnx": "model.onnx", ".skops": "model.skops", ".ubj": "model.ubj"}


@dataclass(frozen=True)
class Prepared:
    """A version's folder ready to store, and what the catalog records about it."""

    info: FormatInfo
    signature: Signature | None


def prepare(
    model: Any,
    folder: Path,
    *,
    format: str | None,
    trusted: bool,
    signature: Signature | dict | None,
    training_data: Any,
) -> Prepared | None:
    """The folder of a model object, of a file or folder on disk (``model`` a path), or of
    what a run logged, already in ``folder`` (``model`` None); None when ``folder`` is
    empty (a version registered by source only)."""
    if isinstance(model, str | Path):
        return adopt_path(Path(model), folder, trusted=trusted, signature=signature)
    if model is not None:
        return save_model(
            model,
            folder,
            format=format,
            trusted=trusted,
            signature=signature,
            training_data=training_data,
        )
    if not any(folder.iterdir()):
        return None
    return adopt_folder(folder, trusted=trusted, signature=signature)


def save_model(
    model: Any,
    folder: Path,
    *,
    format: str | None,
    trusted: bool,
    signature: Signature | dict | None,
    training_data: Any,
) -> Prepared:
    """Write ``model`` into ``folder`` in its format (or ``format``) with its signature."""
    sig = _signature(model, signature, training_data)
    fmt = formats.by_name(format) if format else formats.for_model(model, trusted)
    if fmt.name == "python" and trusted is not True:
        raise refuse_code(f"a {type(model).__name__} in the python format", where="register")
    if fmt.name == "onnx" and not formats.FORMATS["onnx"].detect(model):
        if sig is None:
            raise InvalidInputError(
                "converting a model to ONNX needs its input columns",
                hint="pass training_data= or signature=",
            )
        from lakeworks.registry.formats.onnx import convert

        model = convert(model, sig.columns)
    elif not fmt.detect(model):
        raise InvalidInputError(
            f"the {fmt.name} format cannot save a {type(model).__name__}",
            expected=fmt.name,
            found=type(model).__name__,
        )
    info = _save(fmt, model, folder)
    if fmt.name == "mlflow":
        _refuse_pickled(folder, trusted)
    write_record(folder, _record(info, sig))
    return Prepared(info, sig)


def adopt_folder(folder: Path, *, trusted: bool, signature: Signature | dict | None) -> Prepared:
    """The format and signature of a model folder a run logged (lakeworks' own, an MLflow
    model folder, or one file of a known format)."""
    record = read_record(folder)
    if record is not None:
        info = FormatInfo.from_dict(record)
        saved = record.get("signature")
        sig = _given(signature) or (Signature.from_dict(saved) if saved else None)
    elif (folder / "MLmodel").is_file():
        _refuse_pickled(folder, trusted)
        info, sig = FormatInfo("mlflow", "MLmodel", describe(folder)), _given(signature)
    else:
        info, sig = _by_file(folder), _given(signature)
    if info.format == "python" and trusted is not True:
        raise refuse_code("the pickled model in the run's folder", where="register")
    write_record(folder, _record(info, sig))
    return Prepared(info, sig)


def adopt_path(
    path: Path, folder: Path, *, trusted: bool, signature: Signature | dict | None
) -> Prepared:
    """A model saved on disk: a folder (lakeworks', MLflow's, or one holding a file of a
    known format) or one file (``.onnx``, ``.skops``, ``.ubj``, or a known file name)."""
    import shutil

    if path.is_dir():
        shutil.copytree(path, folder, dirs_exist_ok=True)
    elif path.is_file():
        name = _BY_SUFFIX.get(path.suffix) if path.name not in _BY_FILE else path.name
        if name is None:
            raise InvalidInputError(
                f"cannot tell the format of {path.name}",
                hint=f"use a folder, or a file named {', '.join(_BY_FILE)} or ending in "
                f"{', '.join(_BY_SUFFIX)}",
                found=path.name,
            )
        shutil.copyfile(path, folder / name)
    else:
        raise InvalidInputError(f"no model file or folder at {path}", found=str(path))
    return adopt_folder(folder, trusted=trusted, signature=signature)


def _save(fmt: ModelFormat, model: Any, folder: Path) -> FormatInfo:
    try:
        return fmt.save(model, folder)
    except (ValueError, TypeError, AttributeError) as exc:
        raise UserCodeError(
            f"saving the {type(model).__name__} in the {fmt.name} format failed: {exc}",
            format=fmt.name,
        ) from exc


def _refuse_pickled(folder: Path, trusted: bool) -> None:
    if describe(folder)["flavor"] == "pickle" and trusted is not True:
        raise refuse_code("the MLflow model (its flavor is pickled)", where="register")


def _by_file(folder: Path) -> FormatInfo:
    for file, name in _BY_FILE.items():
        if (folder / file).is_file():
            return FormatInfo(name, file, {})
    found = sorted(p.name for p in folder.iterdir())
    raise InvalidInputError(
        f"no model of a known format in the artifact folder: found {found or 'nothing'}",
        hint=f"expected lakeworks.json, MLmodel or one of {', '.join(_BY_FILE)}",
        found=", ".join(found),
    )


def _record(info: FormatInfo, sig: Signature | None) -> dict[str, Any]:
    return {**info.to_dict(), "signature": sig.to_dict() if sig else None}


def _given(signature: Signature | dict | None) -> Signature | None:
    if signature is None or isinstance(signature, Signature):
        return signature
    return Signature.from_dict(signature)


def _signature(model: Any, signature: Any, training_data: Any) -> Signature | None:
    """The given signature, or one inferred from the training data and a sample
    prediction of the model on its first rows."""
    if signature is not None or training_data is None:
        return _given(signature)
    table = to_arrow(training_data)
    sample = table.slice(0, SAMPLE_ROWS).to_pandas()
    predict = getattr(model, "predict", None)
    if predict is None:
        return Signature.infer(table)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            output = predict(model_input(model, sample))
    except Exception as exc:  # the user's model on the user's data
        raise UserCodeError(
            f"the model could not predict on the first rows of training_data: {exc}",
            hint="pass the frame the model was trained on (features only, no target)",
        ) from exc
    return Signature.infer(table, output)
