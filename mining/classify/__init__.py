"""Classification stage: is a record AI (keyword rules, patent codes, model, decision policy), and its topics.

:mod:`~mining.classify.rules` loads and validates the rule files in ``rules/`` and compiles them into
the rule engine; :mod:`~mining.classify.policy` combines the evidence into a decision.
"""
