"""One story, many sources: near-duplicate articles merged into one profile, and campaigns across profiles."""
