def post_init_hook(env):
    """Measure the customers that already have receivables or orders, so checks and lists start right; show every
    company the late-fee product its fees use."""
    env["revcycle.credit.profile"]._revcycle_init_profiles()
    set_default_fee_product(env)


def set_default_fee_product(env):
    """Companies without a late-fee product use the addon's own: write it on them, so Settings shows the product the
    fees really use (the field's default only reaches companies created after the product exists)."""
    product = env.ref("revcycle_dunning.product_product_late_fee", raise_if_not_found=False)
    if product:
        env["res.company"].with_context(active_test=False).search(
            [("revcycle_dunning_fee_product_id", "=", False)]).revcycle_dunning_fee_product_id = product
