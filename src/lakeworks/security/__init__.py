"""Security: identities, roles, audit, quotas (sec-auth, sec-quota) and data protection:
secrets, personal data (tags, masking, anonymisation), encryption settings, retention."""
