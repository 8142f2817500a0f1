"""The partnership agreement: roles, responsibilities, check-up cadence, consent, versions."""
