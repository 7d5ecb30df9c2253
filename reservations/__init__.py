"""Counter reservations (窓口予約). Until that issue lands: a plain page saying so."""
