"""One module per section: each has a ``router`` of page routes (see ``../README.md``)."""
