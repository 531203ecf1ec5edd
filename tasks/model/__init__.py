"""Model: load accepted returns, build school units, run the SQL models, scorecard and analytics."""
