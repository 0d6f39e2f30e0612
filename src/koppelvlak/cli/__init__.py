"""The ``koppelvlak`` command: a Typer root and one module per command group.

Command modules import only Typer at module level; heavy libraries (SQLAlchemy, lxml,
FastAPI) are imported inside the commands so ``--help`` stays instant.
"""
