"""media-pipeline: event-driven media processing for AWS that runs whole on a laptop."""

__version__ = "0.1.0"
