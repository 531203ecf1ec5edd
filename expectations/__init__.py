"""Great Expectations lives here, and only here; policy thresholds in policy/*.yaml."""
