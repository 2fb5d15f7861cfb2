"""Small helpers the whole harness shares: atomic outputs, thread limits, a progress bar,
and one look (colours, number formats, figure saving) for every figure and table."""
