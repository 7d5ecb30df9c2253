"""Fees for online applications: a provider interface, the built-in sandbox provider, webhooks,
reconciliation, refunds and the receipt (領収書)."""
