"""The ActivityPub protocol as a library: no database, no application imports.

Modules: ``activitystreams`` (tolerant parsing), ``signatures`` (draft-cavage, RFC 9421,
digests, keys), ``webfinger``, ``nodeinfo``, ``addresses`` (SSRF guard), ``client``
(signed fetches and double-knock deliveries), ``collections`` (OrderedCollection helpers).
Functions are pure or take an HTTP client as an argument.
"""
