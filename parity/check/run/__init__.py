"""One check's stages: torch's reference, the user's side, forward/backward rows, the
finite-difference oracle and the lock-step training stage."""
