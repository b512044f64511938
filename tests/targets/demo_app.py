# The README's demo: a small "order service" that keeps doing the same three things a
# web app does — render (CPU), call a slow backend (sleep) and serialize (json) — so
# a newcomer sees a profile with a clear hot path. Runs until killed.
import json
import time


def price_with_tax(amount, rate):
    total = 0.0
    for cents in range(amount):
        total += cents * rate / 100.0
    return total


def render_invoice(order):
    lines = []
    for item in order["items"]:
        lines.append("%s: %.2f" % (item, price_with_tax(20000, order["rate"])))
    return "\n".join(lines)


def call_payment_backend():
    time.sleep(0.02)


def serialize(order):
    return json.dumps([order] * 200)


def handle_order(number):
    order = {"id": number, "items": ["apple", "pear", "fig"], "rate": 19.0}
    render_invoice(order)
    call_payment_backend()
    serialize(order)


def main():
    number = 0
    while True:
        handle_order(number)
        number += 1


if __name__ == "__main__":
    main()
