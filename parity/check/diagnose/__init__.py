"""Naming a mistake: candidate hypotheses, each accepted only when applying its fix brings
the user's value within tolerance of torch's."""
