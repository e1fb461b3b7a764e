"""MLflow 3's logged models (``platform.logged_models``) on SQLite and PostgreSQL: the
life cycle the MLflow client drives, files stored like run artifacts, and the refusals."""

from __future__ import annotations

import io

import pytest

from lakeworks.context import Context
from lakeworks.errors import InvalidInputError, NotFoundError
from lakeworks.platform import Platform


@pytest.fixture
def models(tplatform: Platform):
    return tplatform.logged_models


@pytest.fixture
def experiment(tracking, tctx: Context) -> int:
    return tracking.create_experiment(tctx, "models").id


def test_a_logged_model_is_created_pending_filled_and_finalized(
    models, tracking, tctx, experiment
) -> None:
    run = tracking.create_run(tctx, experiment)
    created = models.create(
        tctx,
        experiment,
        name="clf",
        source_run_id=run.id,
        params={"depth": "6"},
        tags={"flavor": "sklearn"},
    )
    assert created.id.startswith("m-") and created.status == "PENDING"
    models.log_artifact_stream(tctx, created.id, "model/MLmodel", io.BytesIO(b"flavors: {}"))
    models.log_params(tctx, created.id, {"depth": "6", "lr": "0.1"})  # same value again: fine
    models.set_tags(tctx, created.id, {"stage": "dev"})
    models.delete_tag(tctx, created.id, "flavor")
    done = models.finalize(tctx, created.id, "READY")
    assert done.status == "READY" and done.params == {"depth": "6", "lr": "0.1"}
    assert done.tags == {"stage": "dev"} and done.source_run_id == run.id
    listed = models.list_artifacts(tctx, created.id, None)
    assert [(a.path, a.is_dir) for a in listed] == [("model", True)]
    with models.open_artifact(tctx, created.id, "model/MLmodel") as f:
        assert f.read() == b"flavors: {}"
    assert [m.id for m in models.search(tctx, [experiment], source_run_id=run.id)] == [created.id]
    assert models.search(tctx, [experiment], name="other") == []
    models.delete(tctx, created.id)
    assert models.search(tctx, [experiment]) == []
    assert models.get(tctx, created.id, allow_deleted=True).lifecycle_stage == "deleted"


def test_bad_input_is_refused_and_nothing_changes(models, tctx, experiment) -> None:
    created = models.create(tctx, experiment, params={"depth": "6"})
    with pytest.raises(InvalidInputError, match="'depth' is '6', cannot change it to '7'"):
        models.log_params(tctx, created.id, {"lr": "0.1", "depth": "7"})
    with pytest.raises(InvalidInputError, match="PENDING"):
        models.finalize(tctx, created.id, "PENDING")
    with pytest.raises(InvalidInputError, match="invalid tag key"):
        models.set_tags(tctx, created.id, {"bad key!": "x"})
    with pytest.raises(NotFoundError, match="no tag 'nope'"):
        models.delete_tag(tctx, created.id, "nope")
    after = models.get(tctx, created.id)
    assert after.params == {"depth": "6"} and after.tags == {} and after.status == "PENDING"
    with pytest.raises(NotFoundError, match="m-missing"):
        models.get(tctx, "m-missing")
    with pytest.raises(NotFoundError, match="run"):
        models.create(tctx, experiment, source_run_id="0" * 32)
    with pytest.raises(NotFoundError, match="experiment"):
        models.create(tctx, 987654)


def test_a_logged_model_is_invisible_from_another_workspace(
    models, tplatform, tctx, experiment
) -> None:
    created = models.create(tctx, experiment)
    tplatform.catalog.create_workspace("other", "tester")
    with pytest.raises(NotFoundError, match="workspace 'other'"):
        models.get(Context("other", "tester"), created.id)


def test_migration_0008_matches_the_orm_model(tplatform) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lakeworks.meta.models import Base

    def only_logged_models(obj, name, kind, reflected, compare_to) -> bool:  # noqa: ANN001
        table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table == "logged_models"

    with tplatform.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": only_logged_models})
        assert compare_metadata(context, Base.metadata) == []
