"""Security and multi-tenancy: quotas, usage metering and cost allocation (this part).

``quotas.Quotas`` keeps each workspace's limits and is the ``lakeworks.limits.Limits``
the services ask; ``usage.Usage`` is their ``Meter``; ``costs.Costs`` prices the usage.
"""
