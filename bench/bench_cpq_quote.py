"""A quotation created, priced and confirmed with revcycle's tier tables and configuration rules, against the same
quotation in stock Odoo (the Odoo addons the suite depends on, no revcycle addon) on plain pricelist prices.
Target: revcycle's quote at most 1.30x stock Odoo's (checked at both sizes, 100 and 500 lines).

Three sides, the same lines (products cycling over 50, quantities 1-60) on each:
- "stock": database revcycle_bench_cpq_quote_stock with the Odoo addons the suite depends on (sale_management,
  sale_stock, account_payment, payment_stripe) and no revcycle addon, 50 products at list price;
- "revcycle plain": the revcycle database (every revcycle addon, as a consultant installs the suite), 50 products
  without tiers or rules (what the suite costs on products that do not use tiers);
- "revcycle tiers": the revcycle database, 50 products with a 3-tier table (graduated or volume) and two
  configuration rules each.
Each quote runs in a savepoint rolled back afterwards; the sides alternate in rotating order over the rounds; the
figures are the median of the rounds and their spread, at 100 and 500 lines to show how cost grows.
REVCYCLE_BENCH_QUOTE_LINES ("100,500") sets the sizes, REVCYCLE_BENCH_ROUNDS (5) the rounds; each headline figure is
also printed as a `RESULT {json}` line for bench/run_all.py.

Run: ./revcycle bench cpq_quote   (databases revcycle_bench_cpq_quote and ..._stock; extra options go to Odoo)
"""

import os
import sys
import time

import benchlib
import odoo
from benchlib import open_registry
from odoo import Command, api

# the Odoo addons the revcycle suite depends on, without any revcycle addon: the difference is revcycle's code only
STOCK_MODULES = ("sale_management", "sale_stock", "account_payment", "payment_stripe")
SIZES = tuple(int(n) for n in os.environ.get("REVCYCLE_BENCH_QUOTE_LINES", "100,500").split(","))
PRODUCTS = 50
ROUNDS = int(os.environ.get("REVCYCLE_BENCH_ROUNDS", "5"))
TARGET = 1.30  # revcycle's quote at most 1.30x stock Odoo's


def make_products(env, tiered):
    """50 service products; the tiered ones get a 3-tier table and two configuration rules each."""
    Product = env["product.product"]
    values = [
        {
            "name": f"bench {'tiered' if tiered else 'plain'} {i}",
            "type": "service",
            "list_price": 10.0 + i,
            "standard_price": 5.0,
        }
        for i in range(PRODUCTS)
    ]
    if tiered:
        for i, vals in enumerate(values):
            vals["revcycle_tier_mode"] = "graduated" if i % 2 else "volume"
    products = Product.create(values)
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


def quote_and_confirm(env, partner, products, lines):
    """Seconds to create, price and confirm a ``lines``-line quotation, flush included; rolled back."""
    cr = env.cr
    with cr.savepoint(flush=False) as savepoint:
        started = time.perf_counter()
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": products[i % PRODUCTS].id, "product_uom_qty": 1 + i % 60})
                    for i in range(lines)
                ],
            }
        )
        env.flush_all()
        assert order.amount_untaxed > 0
        order.action_confirm()
        env.flush_all()
        elapsed = time.perf_counter() - started
        savepoint.rollback()
    env.invalidate_all()
    return elapsed


def main(argv):
    registry = open_registry(argv)
    stock_name = os.environ.get("REVCYCLE_BENCH_STOCK_DB")
    if not stock_name:
        sys.exit("Run this benchmark with ./revcycle bench cpq_quote: it builds the stock-Odoo database too.")
    stock_registry = odoo.modules.registry.Registry(stock_name)
    benchlib.print_fairness(
        {
            "stock": f"stock Odoo ({', '.join(STOCK_MODULES)}, no revcycle addon): list prices",
            "rc plain": "revcycle installed, products without tiers or rules",
            "rc tiers": "revcycle installed, every product with a 3-tier table and 2 configuration rules",
        },
        "lines (products cycling over 50, quantities 1-60), create + price + confirm + flush, rolled back",
        "the database's addons and the products' pricing",
    )
    with registry.cursor() as cr, stock_registry.cursor() as stock_cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        stock_env = api.Environment(stock_cr, odoo.SUPERUSER_ID, {})
        partner = env["res.partner"].create({"name": "bench customer"})
        stock_partner = stock_env["res.partner"].create({"name": "bench customer"})
        plain, tiered = make_products(env, tiered=False), make_products(env, tiered=True)
        stock_products = make_products(stock_env, tiered=False)
        env.flush_all()
        stock_env.flush_all()
        for lines in SIZES:
            sides = {
                "stock": lambda n=lines: quote_and_confirm(stock_env, stock_partner, stock_products, n),
                "rc plain": lambda n=lines: quote_and_confirm(env, partner, plain, n),
                "rc tiers": lambda n=lines: quote_and_confirm(env, partner, tiered, n),
            }
            for side in sides.values():  # warm-up
                side()
            timings = benchlib.alternated_rounds(sides, ROUNDS)
            print(f"\n{lines}-line quotation, create + price + confirm:")
            for label, values in timings.items():
                print(f"  {label:<9}: {benchlib.describe(values, 'ms', 1000)}")
            print(f"  revcycle tiers / stock Odoo : {benchlib.describe_ratio(timings['rc tiers'], timings['stock'])}"
                  f"  (target <= {TARGET:.2f})")
            print(f"  revcycle plain / stock Odoo : {benchlib.describe_ratio(timings['rc plain'], timings['stock'])}")
            for label in ("rc tiers", "rc plain"):
                ratio, low, high = benchlib.ratio_of_medians(timings[label], timings["stock"])
                benchlib.print_result("cpq_quote", f"{label.removeprefix('rc ')} quote / stock Odoo", f"{lines} lines",
                                      ratio, low, high, "x", f"<= {TARGET:.2f}x", ratio <= TARGET)
        cr.rollback()
        stock_cr.rollback()


if __name__ == "__main__":
    main(sys.argv[1:])
