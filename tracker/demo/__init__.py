"""Demo and load-test data: the demo organisation of `make run` and large synthetic organisations for benchmarks.

Not domain logic: these generators drive the real services to produce data in every state.
"""
