"""Signed payment_intent.succeeded events for the webhook benchmark.

Reads "invoice-uuid<TAB>amount-minor" lines on stdin (open invoices in USD) and prints one
event per line: its Stripe-Signature header, a tab, its JSON body. Every third event repeats an
earlier one (Stripe delivers at least once), so a third of the intake is duplicates.
Usage: python3 bench/webhook_events.py SECRET < invoices.tsv > events.tsv
"""
import hashlib
import hmac
import json
import sys
import time

secret = sys.argv[1].encode()
now = int(time.time())
unique = []
for k, line in enumerate(sys.stdin):
    invoice, amount = line.split()
    body = json.dumps({
        "id": f"evt_bench_{k}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {
            "object": "payment_intent", "id": f"pi_bench_{k}", "status": "succeeded",
            "amount": int(amount), "amount_received": int(amount), "currency": "usd",
            "metadata": {"invoice": invoice},
        }},
    }, separators=(",", ":"))
    sig = hmac.new(secret, f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
    unique.append(f"t={now},v1={sig}\t{body}")
out = []
for k, e in enumerate(unique):
    out.append(e)
    if k % 2 == 1:
        # After every two new events, one seen before: a third of all deliveries repeat.
        out.append(unique[k // 2])
sys.stdout.write("\n".join(out) + "\n")
