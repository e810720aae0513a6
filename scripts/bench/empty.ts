// An empty program: the cost of a bare runtime start.
