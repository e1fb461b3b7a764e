"""Security: identities, API tokens, OIDC, roles and the policy, the guard, the audit log.

The policy (``policy.OPERATIONS``) names the permission each service operation needs and
``roles.PERMISSIONS`` the lowest role holding each permission; the composition root wraps
every service in the guard (``guard.Guard.protect``), which checks contexts that carry an
authenticated principal and records changes and denials in the audit log
(``audit.AuditLog.record``). See docs/security.md.

Data protection: ``keys`` and ``secrets`` (secrets encrypted at rest), ``masking`` (the
lake's read mask from PII tags). See docs/data-protection.md.
Quotas, usage and costs: ``quotas.Quotas`` keeps each workspace's limits and is the
``lakeworks.limits.Limits`` the services ask; ``usage.Usage`` is their ``Meter``;
``costs.Costs`` prices the usage (docs/quotas-and-costs.md).
"""
