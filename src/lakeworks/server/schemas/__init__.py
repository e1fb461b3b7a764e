"""Request and response bodies of the REST API: one module per router, pydantic at the door only.

The convention: a response model derives from ``RecordOut`` and is built from the service's
record with ``Model.model_validate(record)``; where a field's name or form differs from the
record's, the field says so (``validation_alias``, a ``BeforeValidator``), never a copy
field by field. Request models carry the door's checks (name rules, ranges, lengths) so the
OpenAPI document shows them.
"""
