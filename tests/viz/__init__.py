"""``tinygrad_edu.viz``: the computation-graph picture (DOT, Graphviz) and the matplotlib plots."""
