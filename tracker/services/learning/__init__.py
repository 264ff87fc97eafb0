"""Learning: the catalogue, lessons read, quiz attempts and their grading, progress and the learner's dashboard."""
