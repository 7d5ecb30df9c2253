"""Shared platform code: configuration, database, i18n, and (later) auth, audit and crypto."""
