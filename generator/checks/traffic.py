"""Traffic stages: references, weights, rule order."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import Problem
from ..inputs.suggest import closest
from ..model import RouteForm, Topology
from .registry import check


@check()
def stages_resolve(t: Topology) -> Iterator[Problem]:
    # Services of apps the builder left out: routes to them are not judged.
    unbuilt = {name for e in t.left_out_of("apps") for name in e.services or ()}
    for stage in t.traffic:
        for route in stage.routes:
            app = t.service_owner(route.service)
            if app is None:
                if route.service in unbuilt or t.unread("apps", "services"):
                    continue
                known = sorted({s.name for a in t.apps for s in a.services})
                meant = closest(route.service, known)
                yield Problem("unknown-reference",
                              f"stage '{stage.name}' routes '{route.service}', which no app "
                              "defines", route.at,
                              f"did you mean '{meant}'?" if meant else
                              f"services: {', '.join(known) or 'none'}", on_key=True)
                continue
            deployed = app.deployed_versions(route.service)
            for rule in route.rules:
                for dest in rule.destinations:
                    if dest.version not in deployed:
                        defined = app.service(route.service)
                        at = (*rule.at, "to") if route.form is RouteForm.RULES else rule.at
                        hint = (f"deployed versions of {route.service}: "
                                f"{', '.join(deployed) or 'none'}")
                        if defined is not None and defined.version(dest.version):
                            yield Problem("version-not-deployed",
                                          f"{route.service} {dest.version} is not placed in "
                                          "any cluster", at,
                                          f"{hint}; place {route.service}-{dest.version} in a "
                                          "cluster, or route to a deployed version")
                        else:
                            yield Problem("unknown-reference",
                                          f"{route.service} {dest.version} does not exist", at,
                                          hint)


@check()
def weights_sum(t: Topology) -> Iterator[Problem]:
    for stage in t.traffic:
        for route in stage.routes:
            for rule in route.rules:
                weights = [d.weight for d in rule.destinations if d.weight is not None]
                if weights and sum(weights) != 100:
                    yield Problem(
                        "weights-sum",
                        f"weights add up to {sum(weights)}, not 100",
                        (*rule.at, "to") if route.form is RouteForm.RULES else rule.at,
                        "Istio refuses a weighted route whose weights do not sum to 100",
                    )


@check()
def catch_all_last(t: Topology) -> Iterator[Problem]:
    for stage in t.traffic:
        for route in stage.routes:
            if route.form is not RouteForm.RULES:
                continue
            for rule in route.rules[:-1]:
                if rule.match is None:
                    yield Problem(
                        "catch-all-not-last",
                        "a rule without match catches every request, so the rules after it "
                        "never apply",
                        rule.at,
                        "move the rule without match to the end of the list",
                    )
            if route.rules and route.rules[-1].match is not None:
                yield Problem(
                    "default-missing",
                    "the last rule has a match, so requests that match no rule are refused",
                    route.rules[-1].at,
                    "end the list with a rule that has only to: (the default)",
                )
