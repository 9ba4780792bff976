"""The flow map: the choreography as it runs, mined from causation ids."""
