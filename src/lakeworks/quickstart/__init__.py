"""``lakeworks quickstart``: the whole platform end to end on a small real data set."""
