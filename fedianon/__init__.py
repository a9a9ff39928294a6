"""fedianon: a federated ActivityPub server for campus communities."""

__version__ = "0.1.0"
MASTODON_API_VERSION = "4.2.0"
