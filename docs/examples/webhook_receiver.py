# A receiver of the registry's webhooks (alerts), verifying each delivery with the
# Standard Webhooks package: pip install standardwebhooks. Run: python webhook_receiver.py
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

SECRET = os.environ["WEBHOOK_SECRET"]  # whsec_..., shown once when the endpoint was added


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = Webhook(SECRET).verify(body, dict(self.headers))
        except WebhookVerificationError:
            self.send_response(401)
        else:
            print(event["type"], event["data"].get("url", ""))  # noqa: T201
            self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("", int(os.environ.get("PORT", "8080"))), Receiver).serve_forever()
