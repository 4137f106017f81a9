"""Needs and offers: hub posts of the kinds `need` and `offer` (fedihub/kinds/need.py, offer.py),
matched across the hubs a hub follows, on any instance, and fulfilled in steps that federate.

    model      what an intent (a need or an offer) and a match are, as the matcher reads them
    store      their tables (migration 0029)
"""
