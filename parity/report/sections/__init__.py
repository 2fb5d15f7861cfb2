"""The report's sections, one module per topic. Each section is a function of the shared
:class:`~parity.report.context.ReportContext` that draws its figures into ``ctx.figures``
and returns a :class:`~parity.report.context.Section` (title, Markdown body, figures).

- ``grid``: the worst error per dtype and quantity, and every grid cell;
- ``curves``: both sides' per-step losses and their difference, per activation;
- ``activations``: every activation and its derivative, scratch's backward vs torch autograd;
- ``datasets`` (with ``boundary``): a parity run per built-in dataset, decision regions;
- ``claims``: the seed's claim experiments.
"""
