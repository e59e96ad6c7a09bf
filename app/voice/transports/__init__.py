"""Wire protocols at the edge of the pipeline: each adapts one socket to a CallSession."""
