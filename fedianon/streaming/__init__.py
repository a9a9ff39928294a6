"""Streaming (Mastodon's /api/v1/streaming): WebSocket and server-sent events.

    services ── events.emit (after commit) ──┬─ SQLite:     hub.submit            (in-process)
                                             └─ PostgreSQL: NOTIFY fedianon_events
                                                  every web process: LISTEN ─> hub.submit
    hub: for each event, which local connections want it (channels, visibility, blocks,
         mutes, `hide` filters), rendered once per reader, queued per connection
    routes: WebSocket (subscribe/unsubscribe messages) and SSE, each draining its queue

On PostgreSQL every event goes through NOTIFY, the emitting process included, so each
process dispatches each event exactly once whichever process (web or `fedianon worker`)
emitted it. Notifications carry ids, not rendered entities (NOTIFY payloads stay far below
PostgreSQL's 8000-byte limit); each process renders for its own readers. No Redis.
"""
