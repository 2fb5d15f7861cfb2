"""Experiments on the core: the seed's claims (``claims``, one module per claim), the porting
pitfalls (``pitfalls``) and the speed comparison (``bench``).

They may import the core of ``parity`` only. Importing this package imports nothing heavy;
``claims`` and ``pitfalls`` import torch, ``bench`` only when it runs.
"""
