"""In-memory stand-ins for the ports of `pipeline.ports`, for unit tests."""
