"""Serves dist/ on 127.0.0.1 for `cargo xtask serve` and the Playwright tests.

Like `python3 -m http.server`, plus `Access-Control-Allow-Origin: *`: an embed in a sandboxed
iframe (`sandbox="allow-scripts"`) has an opaque origin, so the browser loads the page's module
script and WebAssembly from it in CORS mode. Static hosts such as GitHub Pages send the same header.

usage: python3 xtask/serve.py PORT DIRECTORY [--quiet]
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm"}
    quiet = False

    def end_headers(self):
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *args):
        if not self.quiet:
            super().log_message(fmt, *args)


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    Handler.quiet = "--quiet" in sys.argv[3:]
    handler = functools.partial(Handler, directory=directory)
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    main()
