"""The model registry service (``platform.registry``): registered models, versions,
aliases, tags, approvals and governance reports, and loading a version as a Predictor.

Its surface follows MLflow's registry so the MLflow-compatible routes call it directly:
names are free text, versions count from 1 per model, times are epoch milliseconds, a
version registered by ``source`` alone (an MLflow client's) is READY without files here.

Example:
    >>> v = platform.registry.register(ctx, "churn", model=clf, training_data=X)  # doctest: +SKIP
    >>> platform.registry.set_alias(ctx, "churn", "champion", v.version)  # doctest: +SKIP
    >>> platform.registry.load(ctx, "churn@champion").predict(X.head())  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeworks.context import Context
from lakeworks.errors import DataQualityError, InvalidInputError, NotFoundError
from lakeworks.registry import formats, registration, search
from lakeworks.registry.audit import RegistryAudit
from lakeworks.registry.files import ModelFiles, TrackingFiles
from lakeworks.registry.formats import FormatInfo
from lakeworks.registry.predictor import Predictor
from lakeworks.registry.records import (
    GATING_KINDS,
    PENDING,
    READY,
    AliasEvent,
    Approval,
    ModelVersion,
    Page,
    RegisteredModel,
    Report,
)
from lakeworks.registry.refs import ModelRef, check_alias, check_model_name, parse_ref
from lakeworks.registry.reports import Governance, Reports, given_reports, governance_reports
from lakeworks.registry.signature import Signature
from lakeworks.registry.store import RegistryStore, check_tags

if TYPE_CHECKING:
    from lakeworks.config import Settings
    from lakeworks.meta.catalog import Catalog
    from lakeworks.tracking.service import Tracking


class Registry:
    """Model versions of every workspace. ``tracking`` holds the files (its artifact
    store) and the runs models come from."""

    def __init__(
        self,
        catalog: Catalog,
        tracking: Tracking,
        settings: Settings,
        files: ModelFiles | None = None,
    ) -> None:
        self.catalog = catalog
        self.tracking = tracking
        self.settings = settings
        self.files = files or TrackingFiles(tracking)
        self.store = RegistryStore(catalog)
        self.audit = RegistryAudit(self.store)

    # registered models -------------------------------------------------------------
    def create_model(
        self,
        ctx: Context,
        name: str,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> RegisteredModel:
        check_model_name(name)
        return self.store.create_model(ctx.workspace, name, ctx.user, description, check_tags(tags))

    def get_model(self, ctx: Context, name: str) -> RegisteredModel:
        return self.store.model(ctx.workspace, name)

    def list_models(self, ctx: Context) -> list[RegisteredModel]:
        return self.store.models(ctx.workspace)

    def search_models(
        self,
        ctx: Context,
        filter: str | None = None,
        order_by: list[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page:
        """Models matching an MLflow filter (``name LIKE '%churn%' and tags.team = 'x'``)."""
        where = search.model_conditions(filter, self.catalog.engine.dialect.name)
        order = search.model_order(order_by)
        fetch = partial(self.store.models, ctx.workspace, where, order)
        return search.page(fetch, max_results, page_token)

    def update_model(self, ctx: Context, name: str, description: str | None) -> RegisteredModel:
        return self.store.update_model(ctx.workspace, name, description=description)

    def rename_model(self, ctx: Context, name: str, new_name: str) -> RegisteredModel:
        check_model_name(new_name)
        return self.store.update_model(ctx.workspace, name, name=new_name)

    def delete_model(self, ctx: Context, name: str) -> None:
        """Delete a model and all its versions; their files are freed by ``lakeworks gc``."""
        for version_id in self.store.delete_model(ctx.workspace, name):
            self.files.drop(ctx, version_id)

    # versions ----------------------------------------------------------------------
    def register(
        self,
        ctx: Context,
        name: str,
        *,
        model: Any = None,
        run_id: str | None = None,
        artifact_path: str | None = None,
        source: str | None = None,
        format: str | None = None,
        trusted: bool = False,
        signature: Signature | dict | None = None,
        training_data: Any = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
        reports: dict[str, dict[str, Any]] | None = None,
        sensitive_column: str | None = None,
        evaluation_data: Any = None,
        target: str | None = None,
        fairness_threshold: float = 0.1,
        min_metrics: dict[str, float] | None = None,
        positive_label: Any = 1,
    ) -> ModelVersion:
        """A new version of ``name`` (the model is created on its first version).

        Give the model as an object (``model=``), as a folder a run logged
        (``run_id=`` and ``artifact_path=``), or only a ``source`` URI (an MLflow client's
        model: recorded, its files stay where they are). A model no safe format saves
        (a plain Python object) needs ``trusted=True`` and is stored with cloudpickle.
        Reports (``reports.py``): a card always; with ``evaluation_data`` and ``target``
        the evaluation (failing under ``min_metrics``) and the explanation; with
        ``sensitive_column`` too, fairness (failing past ``fairness_threshold``; the label
        counted as selected is ``positive_label``: give it for text or multiclass labels).
        ``reports`` adds given ones (kind -> body; a ``passed`` key marks a failing one;
        ``{"card": {"intended_use": ..., "limitations": [...]}}`` fills the card).
        """
        check_model_name(name)
        tags = check_tags(tags)
        given = given_reports(reports)
        asked = Governance(
            sensitive_column,
            evaluation_data,
            target,
            fairness_threshold,
            dict(min_metrics or {}),
            positive_label,
        )
        asked.check()
        if model is None and artifact_path is None and source is None:
            raise InvalidInputError(
                f"nothing to register as a version of {name!r}",
                hint="pass model=, run_id= with artifact_path=, or source=",
                model=name,
            )
        self.store.create_model(ctx.workspace, name, ctx.user, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self._scratch()) as tmp:
            folder = Path(tmp)
            if artifact_path is not None and model is None:
                if run_id is None:
                    raise InvalidInputError("artifact_path= needs the run_id= that logged it")
                self.files.run_folder(ctx, run_id, artifact_path, folder)
            prepared = registration.prepare(
                model,
                folder,
                format=format,
                trusted=trusted,
                signature=signature,
                training_data=training_data,
            )
            version = self.store.add_version(
                ctx.workspace,
                name,
                ctx.user,
                run_id=run_id,
                source=source or _source(run_id, artifact_path),
                format=prepared.info.format if prepared else None,
                info=prepared.info.to_dict() if prepared else None,
                signature=prepared.signature.to_dict() if prepared and prepared.signature else None,
                status=PENDING if prepared else READY,
                description=description,
                tags=tags,
            )
            if prepared is None:
                return version
            try:
                self.files.put(ctx, version.id, folder)
                self._reports(ctx, version, model, given, asked, folder, trusted)
            except BaseException:
                self.store.delete_version(ctx.workspace, name, version.version)
                self.files.drop(ctx, version.id)
                raise
        return self.store.update_version(ctx.workspace, name, version.version, status=READY)

    def _reports(
        self,
        ctx: Context,
        version: ModelVersion,
        model: Any,
        given: Reports,
        asked: Governance,
        folder: Path,
        trusted: bool,
    ) -> None:
        model = None if isinstance(model, str | Path) else model
        if model is None and asked.evaluation_data is not None and version.info:
            info = FormatInfo.from_dict(version.info)  # a run's model: loaded to evaluate
            model = formats.by_name(info.format).load(folder, info, trusted)
        inputs = self.lineage(ctx, version.name, version.version)["inputs"]
        tables = [
            f"{i['name']}@{i['version']}"
            for i in inputs
            if i["kind"] == "table" and i["version"] is not None
        ]
        for kind, (body, passed) in governance_reports(
            version, model, asked, given, tables
        ).items():
            self.audit.put_report(version.id, kind, body, passed)

    def get_version(self, ctx: Context, name: str, version: int) -> ModelVersion:
        return self.store.version(ctx.workspace, name, int(version))

    def list_versions(self, ctx: Context, name: str) -> list[ModelVersion]:
        """The versions of ``name``, newest first."""
        return self.store.versions(ctx.workspace, name)

    def search_versions(
        self,
        ctx: Context,
        filter: str | None = None,
        order_by: list[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page:
        """Versions matching an MLflow filter (``name = 'churn' and run_id = '...'``)."""
        where = search.version_conditions(filter, self.catalog.engine.dialect.name)
        order = search.version_order(order_by)
        fetch = partial(self.store.versions, ctx.workspace, None, where, order)
        return search.page(fetch, max_results, page_token)

    def update_version(
        self, ctx: Context, name: str, version: int, description: str | None
    ) -> ModelVersion:
        return self.store.update_version(ctx.workspace, name, version, description=description)

    def delete_version(self, ctx: Context, name: str, version: int) -> None:
        """Delete a version (and the aliases on it, each move recorded); its artifact refs
        are dropped, so ``lakeworks gc`` frees files nothing else references."""
        found = self.store.version(ctx.workspace, name, version)
        for alias in found.aliases:
            self.audit.move_alias(
                ctx.workspace, name, alias, None, user=ctx.user, reason=f"version {version} deleted"
            )
        self.store.delete_version(ctx.workspace, name, version)
        self.files.drop(ctx, found.id)

    def resolve(self, ctx: Context, ref: Any) -> ModelVersion:
        """The version a reference names: ``churn@champion``, ``churn/3``, ``("churn", 3)``,
        ``churn`` (the latest)."""
        parsed: ModelRef = parse_ref(ref)
        if parsed.alias is not None:
            number = self.audit.alias_version(ctx.workspace, parsed.name, parsed.alias)
        elif parsed.version is not None:
            number = parsed.version
        else:
            number = self.store.model(ctx.workspace, parsed.name).latest_version
            if number is None:
                raise NotFoundError(f"model {parsed.name!r} has no versions yet")
        return self.store.version(ctx.workspace, parsed.name, number)

    def load(self, ctx: Context, ref: Any, trusted: bool | list[str] = False) -> Predictor:
        """The model a reference names, ready to predict. Nothing stored with pickle is
        loaded unless ``trusted=True``; a skops file's types beyond scikit-learn's need
        ``trusted=True`` or their names in ``trusted=[...]``."""
        version = self.resolve(ctx, ref)
        if version.info is None:
            raise NotFoundError(
                f"model {version.ref} was registered by source only ({version.source}); "
                "lakeworks holds no files to load",
                hint="register it from a model object or a run's artifact folder",
                model=version.ref,
            )
        info = FormatInfo.from_dict(version.info)
        with tempfile.TemporaryDirectory(dir=self._scratch()) as tmp:
            self.files.get(ctx, version.id, Path(tmp))
            model = formats.by_name(info.format).load(Path(tmp), info, trusted)
        return Predictor(model, version)

    # aliases -----------------------------------------------------------------------
    def set_alias(
        self, ctx: Context, name: str, alias: str, version: int, *, force: bool = False
    ) -> AliasEvent:
        """Point ``alias`` at ``version``. A version whose fairness or evaluation report
        failed is refused unless ``force=True``; the move is recorded either way, forced
        moves with the reports they overrode. ``alias`` follows MLflow's rule
        (``refs.ALIAS_RULE``)."""
        check_alias(alias)
        target = self.store.version(ctx.workspace, name, int(version))
        failing = [
            r.kind
            for r in self.audit.reports(target.id)
            if r.kind in GATING_KINDS and r.passed is False
        ]
        if failing and not force:
            raise DataQualityError(
                f"cannot move alias {alias!r} to {target.ref}: its "
                f"{' and '.join(failing)} report(s) failed",
                hint="fix the model, or pass force=True (the forced move is recorded)",
                model=name,
                version=target.version,
                failed=", ".join(failing),
            )
        reason = f"forced past failing {', '.join(failing)}" if failing else None
        return self.audit.move_alias(
            ctx.workspace,
            name,
            alias,
            target.version,
            user=ctx.user,
            forced=bool(failing),
            reason=reason,
        )

    def delete_alias(self, ctx: Context, name: str, alias: str) -> AliasEvent:
        return self.audit.move_alias(ctx.workspace, name, alias, None, user=ctx.user)

    def get_version_by_alias(self, ctx: Context, name: str, alias: str) -> ModelVersion:
        return self.resolve(ctx, ModelRef(name, alias=alias))

    def alias_events(self, ctx: Context, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every set, move and deletion of the model's aliases, oldest first."""
        return self.audit.alias_events(ctx.workspace, name, alias)

    # tags, descriptions, approvals, reports -----------------------------------------
    def set_tag(
        self, ctx: Context, name: str, key: str, value: str, version: int | None = None
    ) -> None:
        """Tag the model (or one of its versions when ``version`` is given)."""
        (key, value), *_ = check_tags({key: value}).items()
        self.store.set_tag(ctx.workspace, name, version, key, value)

    def delete_tag(self, ctx: Context, name: str, key: str, version: int | None = None) -> None:
        self.store.delete_tag(ctx.workspace, name, version, key)

    def approve(
        self,
        ctx: Context,
        name: str,
        version: int,
        stage: str = "approved",
        comment: str | None = None,
    ) -> Approval:
        """Record a stage of approval (who and when) and make it the version's stage."""
        if not stage or len(stage) > 32:
            raise InvalidInputError(f"invalid approval stage {stage!r}: 1 to 32 characters")
        return self.audit.approve(ctx.workspace, name, int(version), stage, ctx.user, comment)

    def approvals(self, ctx: Context, name: str, version: int) -> list[Approval]:
        return self.audit.approvals(ctx.workspace, name, int(version))

    def reports(self, ctx: Context, name: str, version: int) -> list[Report]:
        return self.audit.reports(self.store.version(ctx.workspace, name, int(version)).id)

    def lineage(self, ctx: Context, name: str, version: int) -> dict[str, Any]:
        """Where a version came from: its run and, through it, the tables it read."""
        found = self.store.version(ctx.workspace, name, int(version))
        inputs = []
        if found.run_id:
            with contextlib.suppress(NotFoundError):  # an MLflow source's run may be elsewhere
                inputs = [asdict(i) for i in self.tracking.list_inputs(ctx, found.run_id)]
        return {
            "model": name,
            "version": found.version,
            "run_id": found.run_id,
            "source": found.source,
            "inputs": inputs,
        }

    def _scratch(self) -> str:
        folder = Path(self.settings.scratch_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)


def _source(run_id: str | None, artifact_path: str | None) -> str | None:
    return f"runs:/{run_id}/{artifact_path}" if run_id and artifact_path else None
