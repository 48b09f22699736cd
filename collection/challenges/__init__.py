"""Challenging an answer: the internal review, the ICO, the decision notice and the tribunal.

Each step is a row here with what the ladder needs (its stage, outcome, the ICO's reference) and
an event on the request's timeline (the trace of who and when, and what moves the status). The
clocks are the pure `collection.deadlines` (review_ask_by ... next_step); the letters `letters.py`.
"""
