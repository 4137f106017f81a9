"""fedihub: a federated ActivityPub server for cross-movement hubs."""

__version__ = "0.1.0"
