"""Experiment tracking: experiments, runs, autolog and hyper-parameter search."""
