"""Model serving: endpoints with versioned configurations, traffic strategies (blue-green,
canary, A/B, shadow) and the prediction routes. ``platform.serving`` is the service."""
