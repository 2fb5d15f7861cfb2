"""How a user's network enters a check: the ``Functional`` and ``Layers`` adapters, the
structure they decide (``structure``, ``mapping``), probes of a layer, and ``FILE.py`` loading."""
