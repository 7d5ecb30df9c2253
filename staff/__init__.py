"""The staff console (/staff): served on the government network (LGWAN) only."""
