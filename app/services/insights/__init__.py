"""Statistics for institutions and the network, and the charts that show them."""
