def post_init_hook(env):
    """Measure the customers that already have receivables or orders, so checks and lists start right."""
    env["revcycle.credit.profile"]._revcycle_init_profiles()
