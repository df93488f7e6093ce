"""Configuration rules: "when these attribute values or products are on the quote, those are required / excluded".

A rule belongs to a product template and only applies to quotes holding a line of that template. Its condition is
met when a line (of any product) carries one of the condition values or is one of the condition products; a rule
without condition applies whenever its template is on the quote. Then:

* ``requires``: at least one line must carry a target value or be a target product;
* ``excludes``: no line may carry a target value or be a target product.

The engine names the lines involved so the user knows what to change.
"""

from dataclasses import dataclass, field

RULE_TYPES = ("requires", "excludes")


@dataclass(frozen=True)
class QuoteLine:
    key: int
    name: str
    product_id: int
    template_id: int
    value_ids: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True)
class ConfigRule:
    key: int
    template_id: int
    rule_type: str
    message: str
    condition_value_ids: frozenset = field(default_factory=frozenset)
    condition_product_ids: frozenset = field(default_factory=frozenset)
    target_value_ids: frozenset = field(default_factory=frozenset)
    target_product_ids: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True)
class Violation:
    rule_key: int
    message: str
    line_keys: tuple
    line_names: tuple


class ConfigRuleError(ValueError):
    """A rule that can never be satisfied or says nothing; ``code`` names the problem for translated messages."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _matches(line, value_ids, product_ids):
    return bool(line.value_ids & value_ids) or line.product_id in product_ids


def validate_rule(rule):
    if rule.rule_type not in RULE_TYPES:
        raise ConfigRuleError("type", f"Unknown rule type {rule.rule_type!r}; use one of {', '.join(RULE_TYPES)}.")
    if not rule.target_value_ids and not rule.target_product_ids:
        raise ConfigRuleError(
            "no_target", "The rule names nothing to require or exclude; add target values or products."
        )
    excludes_itself = rule.condition_value_ids & rule.target_value_ids or (
        rule.condition_product_ids & rule.target_product_ids
    )
    if rule.rule_type == "excludes" and excludes_itself:
        raise ConfigRuleError(
            "self_exclusion", "The rule excludes a value or product that is also its condition, so it can never be met."
        )


def validate_rule_set(rules):
    """Refuse a template's rules that require and exclude the same value or product under the same condition."""
    for rule in rules:
        validate_rule(rule)
    requiring = [rule for rule in rules if rule.rule_type == "requires"]
    excluding = [rule for rule in rules if rule.rule_type == "excludes"]
    for first in requiring:
        for second in excluding:
            if first.template_id != second.template_id:
                continue
            same_condition = (first.condition_value_ids, first.condition_product_ids) == (
                second.condition_value_ids,
                second.condition_product_ids,
            )
            unconditional = not (second.condition_value_ids or second.condition_product_ids)
            clash = (first.target_value_ids & second.target_value_ids) or (
                first.target_product_ids & second.target_product_ids
            )
            if clash and (same_condition or unconditional):
                raise ConfigRuleError(
                    "contradiction",
                    "Two rules of the same product require and exclude the same value or product under the same "
                    "condition; remove one of them.",
                )


def check_rules(lines, rules, rule_types=RULE_TYPES):
    """Every violation of ``rules`` (restricted to ``rule_types``) by the quote ``lines``, in rule order."""
    violations = []
    templates_on_quote = {line.template_id for line in lines}
    for rule in rules:
        if rule.rule_type not in rule_types or rule.template_id not in templates_on_quote:
            continue
        has_condition = bool(rule.condition_value_ids or rule.condition_product_ids)
        triggering = [line for line in lines if _matches(line, rule.condition_value_ids, rule.condition_product_ids)]
        if has_condition and not triggering:
            continue
        if not has_condition:
            triggering = [line for line in lines if line.template_id == rule.template_id]
        targets = [line for line in lines if _matches(line, rule.target_value_ids, rule.target_product_ids)]
        if rule.rule_type == "requires" and not targets:
            involved = triggering
        elif rule.rule_type == "excludes" and targets:
            involved = triggering + [line for line in targets if line not in triggering]
        else:
            continue
        violations.append(
            Violation(
                rule.key, rule.message, tuple(line.key for line in involved), tuple(line.name for line in involved)
            )
        )
    return violations
