"""Projects and peer review: assignments, submissions, the reviewer draw, reviews and results."""
