"""The feature store: shared definitions, point-in-time training sets, online serving.

Users import the definition types from here::

    from lakeworks.features import Entity, FeatureView, FeatureService
"""

from lakeworks.features.definitions import Entity, FeatureService, FeatureView

__all__ = ["Entity", "FeatureService", "FeatureView"]
