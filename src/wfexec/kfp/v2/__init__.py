"""KFP v2: pipeline IR, its compiler and launcher, and Python environments for lightweight components."""
