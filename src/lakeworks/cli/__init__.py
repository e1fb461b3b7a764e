"""The command-line door: ``lakeworks`` (typer), one module per command group."""
