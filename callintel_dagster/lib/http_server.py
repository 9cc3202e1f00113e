"""The threaded HTTP server for callintel's small standard-library endpoints (the Twilio status
callbacks) and the provider emulators."""

from http.server import ThreadingHTTPServer


class HTTPServer(ThreadingHTTPServer):
    """A thread per connection, and a listen backlog of 128 instead of socketserver's 5.

    With 5, a burst of connections (Twilio's callbacks for a digest sent to many recipients; a
    client pool opening 16 connections at once) overflows the accept queue: the kernel's
    ListenOverflows counter rises, and on a loaded machine a connection past it can be reset,
    which httpx reports as ReadError."""

    request_queue_size = 128
