"""An offer: what a hub can give (a category, how many, where, until when) and how to respond.
Federated as a Note Mastodon shows in full, with ValueFlows terms for matchers
(fedihub/resources)."""

from fedihub.resources.kind import Offer

KIND = Offer()
