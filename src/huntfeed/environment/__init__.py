"""The team's environment: what it runs, where it is, what it can see, what it already detects, and
what its analysts decided (feedback).

``environment.toml`` is loaded once at the edge (``load.find_environment``) into a frozen value;
the pipeline's relevance stage (``stage.relevance``) reads it and never does I/O. Submodules are
imported where used, so the store and the CLI start without the analysis stack.
"""
