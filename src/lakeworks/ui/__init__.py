"""The web UI: server-rendered pages under ``/``, next to the REST API under ``/api/v1``.

Pages call the services through the same request checks as REST
(``server.callers.Callers`` via ``server.dependencies.ContextDep``); their actions (run a
query, trigger a run, reload quarantined rows) call the REST API from the browser, so
there is no second path to the data. ``mount.install(app)`` adds it to the FastAPI app;
see ``README.md`` for how to add a page.
"""
