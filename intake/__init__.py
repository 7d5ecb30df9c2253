"""Online applications (オンライン申請). Until that issue lands: a plain page saying so."""
