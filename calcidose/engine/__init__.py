"""The engine: regimen choice, limits, rounding, dosing, rules, orders and options.

A patient and a catalog in, results (:mod:`calcidose.results`) out; nothing here formats text.
"""
