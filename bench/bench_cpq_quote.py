"""500-line quotation: created, priced and confirmed with tier tables and configuration rules, against the same
quotation on plain Odoo pricelist prices. Target: our overhead at most 30 %.

Run: ./revcycle bench cpq_quote   (database revcycle_bench_cpq_quote; extra Odoo options after the name go to Odoo)
"""

import statistics
import sys
import time

import odoo
from benchlib import open_registry
from odoo import Command, api

LINES = 500
PRODUCTS = 50
RUNS = 7


def make_products(env, tiered):
    """50 service products; the tiered ones get a 3-tier table and two configuration rules each."""
    Product = env["product.product"]
    products = Product.create(
        [
            {
                "name": f"bench {'tiered' if tiered else 'plain'} {i}",
                "type": "service",
                "list_price": 10.0 + i,
                "standard_price": 5.0,
                "revcycle_tier_mode": "graduated" if i % 2 else "volume",
            }
            for i in range(PRODUCTS)
        ]
    )
    if tiered:
        env["revcycle.price.tier"].create(
            [
                {"product_tmpl_id": p.product_tmpl_id.id, "min_quantity": threshold, "price": price}
                for p in products
                for threshold, price in ((0, 10.0), (10, 9.0), (50, 8.0))
            ]
        )
        other = Product.create({"name": "bench companion", "type": "service", "list_price": 1.0})
        env["revcycle.config.rule"].create(
            [
                {
                    "product_tmpl_id": p.product_tmpl_id.id,
                    "rule_type": kind,
                    "message": "bench rule",
                    "target_product_ids": [Command.set((other if kind == "excludes" else products[0]).ids)],
                }
                for p in products
                for kind in ("requires", "excludes")
            ]
        )
    return products


def quote_and_confirm(env, partner, products):
    started = time.perf_counter()
    order = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "order_line": [
                Command.create({"product_id": products[i % PRODUCTS].id, "product_uom_qty": 1 + i % 60})
                for i in range(LINES)
            ],
        }
    )
    env.flush_all()
    assert order.amount_untaxed > 0
    order.action_confirm()
    env.flush_all()
    return time.perf_counter() - started


def main(argv):
    registry = open_registry(argv)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        partner = env["res.partner"].create({"name": "bench customer"})
        plain, tiered = make_products(env, tiered=False), make_products(env, tiered=True)
        env.flush_all()
        timings = {"plain": [], "revcycle": []}
        for _ in range(RUNS):
            for label, products in (("plain", plain), ("revcycle", tiered)):
                with cr.savepoint(flush=False) as savepoint:
                    timings[label].append(quote_and_confirm(env, partner, products))
                    savepoint.rollback()
                env.invalidate_all()
        cr.rollback()
    plain_median = statistics.median(timings["plain"])
    ours_median = statistics.median(timings["revcycle"])
    print(f"500-line quotation, create + price + confirm, median of {RUNS}:")
    print(f"  plain Odoo pricelist prices : {plain_median * 1000:8.1f} ms")
    print(f"  revcycle tiers + rules      : {ours_median * 1000:8.1f} ms")
    print(f"  ratio revcycle / plain      : {ours_median / plain_median:8.2f}  (target <= 1.30)")


if __name__ == "__main__":
    main(sys.argv[1:])
