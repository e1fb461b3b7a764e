"""The HTTP door: a FastAPI app over the services (``create_app``), one router per domain."""
