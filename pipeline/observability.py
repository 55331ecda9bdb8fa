"""Names shared by every logger and metric of the pipeline."""

# One Powertools service for every function; the function name tells them apart in each line.
SERVICE = "media-pipeline"
METRICS_NAMESPACE = "MediaPipeline"
