"""The harness: implementations as values (``sides``), one lock-step run (``runner``), what
it means (``outcome``) and the parity grid (``grid``)."""
