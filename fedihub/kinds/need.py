"""A need: what a hub needs (a category, how many, where, by when) and how to respond. Federated
as a Note Mastodon shows in full, with ValueFlows terms for matchers (fedihub/resources)."""

from fedihub.resources.kind import Need

KIND = Need()
