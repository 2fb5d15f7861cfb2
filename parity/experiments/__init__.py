"""Experiments on the core: the seed's claims (``claims``, one module per claim), the porting
pitfalls (``pitfalls``) and the performance page (``bench``: the run and its rows;
``bench_steps``: the contestants; ``fused``: the hand-fused NumPy step and the GEMM peak;
``bench_page``: tables, goals and the report's ``performance_section``; ``roofline``: the
figure).

They may import the core of ``parity`` only. Importing this package imports nothing heavy;
``claims`` and ``pitfalls`` import torch; the bench imports torch and scikit-learn only when
it runs, matplotlib only when it draws.
"""
