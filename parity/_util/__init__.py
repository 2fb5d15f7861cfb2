"""Small helpers the whole harness shares: atomic outputs (``atomic``), a lock per output
(``lock``), SIGTERM handled like Ctrl-C (``signals``), strict JSON (``strict_json``), thread
limits, a progress bar, and one look (colours, number formats, figure saving) for every
figure and table."""
