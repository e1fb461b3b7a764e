"""Which features hold personal data, inherited from the PII tags of their sources.

A feature of a view over a table is that table's column of the same name, so it carries
that column's tag. A feature of a view over a SQL query carries the tags of the columns
it is computed from, as the query's column lineage (``lineage.columns``, sqlglot) traces
them: ``lower(c.email) AS contact`` is masked like ``customers.email``. Where several
tagged columns feed one feature, the strictest mask wins (``STRICTNESS``). Where the
lineage cannot trace a feature of a query that reads a tagged table, the feature is
redacted: an untraced feature is never assumed clean.

The online store keeps raw values (serving predicts from them in-process); these masks
are applied at the read doors (``Features.online``, ``Features.training_set``), for a
caller without ``unmask`` on the workspace.

Example:
    >>> from lakeworks.features.definitions import FeatureView
    >>> view = FeatureView("contact", entity="customer", timestamp="ts",
    ...     features=["contact", "visits"],
    ...     source="SELECT customer_id, ts, lower(email) AS contact, visits FROM customers")
    >>> view_masks(view, {"customers": {"email": "hash"}}, lambda table: {})
    {'contact': 'hash'}
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakeworks.features.definitions import FeatureView
from lakeworks.lineage.columns import column_sources

TablePolicies = dict[str, dict[str, str]]  # lake.masks.TablePolicies: table -> column -> kind
STRICTNESS = ("redact", "hash", "partial", "partial_email")  # strictest first
UNTRACED = "redact"


def view_masks(
    view: FeatureView, policies: TablePolicies, columns: Callable[[str], dict[str, str]]
) -> dict[str, str]:
    """The kind of mask of each feature of ``view`` that holds personal data.

    ``policies``: the caller's masks per table and column (``ReadMask.policies``);
    ``columns(table)``: a table's column names and types, for the lineage of a query.
    """
    if not view.source_is_query:
        tagged = policies.get(view.source, {})
        return {f: tagged[f] for f in view.features if f in tagged}
    read = _tables(view.source)
    if read is None:  # sqlglot cannot parse it: every feature is untraced
        return dict.fromkeys(view.features, UNTRACED) if policies else {}
    if not read & policies.keys():
        return {}
    schemas = {t: found for t in sorted(read) if (found := columns(t))}  # none: unknown
    sources = column_sources(view.source, schemas, list(view.features))
    found = {}
    for feature in view.features:
        traced = sources.get(feature) or []
        kinds = [policies[t][c] for t, c in traced if c in policies.get(t, {})]
        if not traced:
            found[feature] = UNTRACED
        elif kinds:
            found[feature] = min(kinds, key=STRICTNESS.index)
    return found


def _tables(sql: str) -> set[str] | None:
    """The names of the tables ``sql`` reads (None: it does not parse)."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except SqlglotError:
        return None
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name not in ctes}
