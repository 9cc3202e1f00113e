"""The call explorer: a tenant-scoped web app (server-rendered pages) and JSON API over the
warehouse and the search index. `callintel serve`; docs/explorer.md."""
