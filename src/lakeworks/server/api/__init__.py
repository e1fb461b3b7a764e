"""REST routers, one module per domain; each handler calls one service and maps the result."""
