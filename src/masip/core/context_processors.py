"""What every page's shell needs: the service navigation and the demo banner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from masip.access.policy import Capability
from masip.access.principal import principal_for


@dataclass(frozen=True)
class NavEntry:
    """One destination of the service navigation, shown when the user holds any of `capabilities`.

    An empty `capabilities` means every signed-in, verified user.
    """

    label: str
    url_name: str
    description: str
    capabilities: tuple[Capability, ...] = ()


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    description: str
    current: bool = False


# The order is the order of the header. Which role holds which capability is decided by
# masip.access.policy alone; this list only says where each capability leads.
NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry(
        "My work",
        "work:mine",
        "Your cases, your tasks due and overdue, and alerts on your cases.",
        (Capability.WORK_CASES,),
    ),
    NavEntry(
        "Screening queue",
        "referrals:queue",
        "Screen the unit's referrals, match the people named and record triage decisions.",
        (Capability.TRIAGE_REFERRALS,),
    ),
    NavEntry(
        "Referral imports",
        "referrals:import_list",
        "Import referrals exported from a police records system.",
        (Capability.TRIAGE_REFERRALS,),
    ),
    NavEntry(
        "Your referrals",
        "referrals:mine",
        "Make a referral, resume a draft and follow the status of the referrals you made.",
        (Capability.SUBMIT_REFERRALS,),
    ),
    NavEntry(
        "Cases",
        "cases:list",
        "Open the cases you work on and add notes.",
        (Capability.WORK_CASES, Capability.OVERSEE_UNIT_CASELOAD),
    ),
    NavEntry(
        "Panel meetings",
        "panel:meetings",
        "The multi-agency panel meetings you are a member of or chair, and your calendar of them.",
        (Capability.ATTEND_PANEL, Capability.CHAIR_PANEL),
    ),
    NavEntry(
        "Unit dashboard",
        "reports:dashboard",
        "The unit's referrals, decisions, caseload, orders and outcomes over a period, as counts.",
        (Capability.VIEW_AGGREGATES,),
    ),
    NavEntry(
        "Break-glass reviews",
        "cases:break_glass_reviews",
        "Review each opening of a case by someone outside its case team.",
        (Capability.OVERSEE_UNIT_CASELOAD,),
    ),
    NavEntry(
        "Members",
        "accounts:members",
        "Invite people, change their roles and suspend access.",
        (Capability.MANAGE_MEMBERS,),
    ),
    NavEntry(
        "Red flags",
        "alerts:index",
        "The open red flags on the unit's cases, each with why it was raised.",
        (Capability.OVERSEE_UNIT_CASELOAD,),
    ),
    NavEntry(
        "Victims' Code updates",
        "interventions_unit:vcop_overdue",
        "Updates owed to victims that are past their Victims' Code deadline.",
        (Capability.OVERSEE_UNIT_CASELOAD,),
    ),
    NavEntry(
        "Triage deadlines",
        "referrals:deadlines",
        "Set how many working days the unit allows for a triage decision.",
        (Capability.OVERSEE_UNIT_CASELOAD,),
    ),
    NavEntry(
        "Risk instruments",
        "instruments:list",
        "Load the unit's risk instruments, check what was loaded and withdraw old versions.",
        (Capability.MANAGE_INSTRUMENTS,),
    ),
    NavEntry(
        "Training",
        "training:hub",
        "The training package: enquiries, deliveries, agendas, the topic catalogue and feedback.",
        (Capability.MANAGE_TRAINING,),
    ),
    NavEntry("Audit log", "audit:list", "See who read or changed what, and when.", (Capability.VIEW_AUDIT,)),
    NavEntry(
        "API tokens",
        "api:token_list",
        "Issue and revoke tokens for systems that use the masip API.",
        (Capability.MANAGE_API_TOKENS,),
    ),
    NavEntry("Profile", "accounts:profile", "Your details, second factor and signed-in sessions."),
)


def is_verified(user: Any) -> bool:
    """Signed in and past the second factor (django-otp adds `is_verified` to request.user)."""
    if user is None or not user.is_authenticated:
        return False
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def navigation_for(request: HttpRequest) -> list[NavItem]:
    """The navigation entries the request's user may use, the one they are in marked current.

    Nothing for a user who has not passed the second factor: every page behind these links
    would only send them back to it.
    """
    user = getattr(request, "user", None)
    if not is_verified(user):
        return []
    principal = principal_for(user)
    items: list[NavItem] = []
    for entry in NAVIGATION:
        if entry.capabilities and not any(principal.can(cap) for cap in entry.capabilities):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            # The apps behind these names are being built alongside the shell; an entry appears
            # once its URL exists rather than breaking every page until then.
            continue
        items.append(NavItem(entry.label, url, entry.description))
    # The deepest matching URL is the current one (/cases/break-glass/ beats /cases/).
    matching = [item for item in items if request.path.startswith(item.url)]
    if matching:
        current = max(matching, key=lambda item: len(item.url))
        items = [NavItem(i.label, i.url, i.description, current=i is current) for i in items]
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"navigation": navigation_for(request), "signed_in_verified": is_verified(getattr(request, "user", None))}


def demo(request: HttpRequest) -> dict[str, Any]:
    """Whether this is the demo (synthetic data only), for the phase banner."""
    return {"masip_demo": bool(getattr(settings, "MASIP_DEMO", False))}
