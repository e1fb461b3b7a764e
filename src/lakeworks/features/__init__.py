"""The feature store: shared definitions, point-in-time training sets, online serving.

Users import the definition types from here::

    from lakeworks.features import Entity, FeatureView, FeatureService
    from lakeworks.features import StreamFeatureView, Window, Agg  # windows over a stream

and ``AsKnownAtWarning``, the warning a training set gives when many rows got no value
only because it was not known yet (see ``TrainingSet.coverage``).
"""

from lakeworks.features.coverage import AsKnownAtWarning
from lakeworks.features.definitions import Entity, FeatureService, FeatureView
from lakeworks.features.stream_views import StreamFeatureView
from lakeworks.streams.windows import Agg, Window

__all__ = [
    "Agg",
    "AsKnownAtWarning",
    "Entity",
    "FeatureService",
    "FeatureView",
    "StreamFeatureView",
    "Window",
]
