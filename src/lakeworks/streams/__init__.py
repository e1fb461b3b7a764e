"""Streams: an event log (SQLite file or Redis Streams) read through consumer groups, and
the exactly-once sink of a stream into a Delta table. See docs/streams.md."""
