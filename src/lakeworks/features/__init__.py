"""The feature store: shared definitions, point-in-time training sets, online serving.

Users import the definition types from here::

    from lakeworks.features import Entity, FeatureView, FeatureService

and ``AsKnownAtWarning``, the warning a training set gives when many rows got no value
only because it was not known yet (see ``TrainingSet.coverage``).
"""

from lakeworks.features.coverage import AsKnownAtWarning
from lakeworks.features.definitions import Entity, FeatureService, FeatureView

__all__ = ["AsKnownAtWarning", "Entity", "FeatureService", "FeatureView"]
