"""Analytics that tell a bureau what to do next: outliers, CV contribution, what-if and a greedy plan."""
