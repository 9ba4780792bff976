"""The crash suite: real workers and a private broker, steady orders, faults, then an audit."""
