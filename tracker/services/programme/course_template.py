"""The course template "Our AI tools and rules", generated from the inventory and the current policies.

The template is a course file in the usual format (docs/content-format.md): admins open it in the content editor,
fill in what only they know (marked "[Edit: ...]"), preview and publish it like any course. Nothing is stored
until they publish.
"""

from __future__ import annotations

from datetime import datetime

import yaml
from flask_babel import gettext as _
from sqlalchemy import select

from ...enums import RiskClass, SystemStatus
from ...extensions import db
from ...models import PolicyVersion, utcnow
from ..content.export import _Dumper
from . import inventory, policies

SLUG = "our-ai-tools-and-rules"


def _system_section(system) -> str:
    lines = [f"### {system.name}", ""]
    if system.purpose:
        lines += [system.purpose, ""]
    facts = [
        _("Provider: %(vendor)s", vendor=system.vendor or _("[Edit: the provider]")),
        _("Status: %(status)s", status=SystemStatus(system.status).label),
        _("Risk class recorded: %(risk)s", risk=RiskClass(system.risk_class).label),
        _(
            "Data you may put into it: %(classes)s",
            classes=", ".join(system.data_classes) if system.data_classes else _("[Edit: the approved data classes]"),
        ),
        _("Who to ask: %(owner)s", owner=system.owner.display_name if system.owner else _("[Edit: the owner]")),
    ]
    users = [link.team.name for link in system.teams] + [link.job_role for link in system.job_roles]
    if users:
        facts.append(_("Used by: %(users)s", users=", ".join(sorted(users, key=str.casefold))))
    lines += [f"- {fact}" for fact in facts]
    return "\n".join(lines)


def _tool_questions(in_use: list, retired: list, organisation: str) -> list[dict]:
    questions: list[dict] = []
    for system in in_use:
        approved = system.status == SystemStatus.APPROVED
        questions.append(
            {
                "id": f"tool-{system.id}-status",
                "type": "true_false",
                "prompt": _(
                    "%(system)s is approved for general use at %(organisation)s.",
                    system=system.name,
                    organisation=organisation,
                ),
                "answer": approved,
                "explanation": _(
                    "Its status in the inventory is: %(status)s.", status=SystemStatus(system.status).label
                ),
            }
        )
        if system.owner is not None:
            questions.append(
                {
                    "id": f"tool-{system.id}-owner",
                    "type": "single",
                    "prompt": _("Who do you ask about %(system)s?", system=system.name),
                    "choices": [
                        {"text": system.owner.display_name, "correct": True},
                        {"text": _("The provider's public forum")},
                        {"text": _("Nobody: an approved tool needs no owner")},
                    ],
                    "explanation": _(
                        "%(owner)s owns %(system)s in the inventory.",
                        owner=system.owner.display_name,
                        system=system.name,
                    ),
                }
            )
    for system in retired:
        questions.append(
            {
                "id": f"tool-{system.id}-retired",
                "type": "true_false",
                "prompt": _("%(system)s may still be used for new work.", system=system.name),
                "answer": False,
                "explanation": _("%(system)s is retired: it is no longer used.", system=system.name),
            }
        )
    if len(questions) < 2:
        questions.append(
            {
                "id": "tool-unlisted",
                "type": "true_false",
                "prompt": _("You may use an AI tool that is not in this list for work data, as long as it is free."),
                "answer": False,
                "explanation": _("Only the tools listed here are approved; ask before using any other."),
            }
        )
        questions.append(
            {
                "id": "tool-ask-first",
                "type": "true_false",
                "prompt": _("Before trying a new AI tool at work, you ask its owner or the contact named here."),
                "answer": True,
                "explanation": _("New tools are assessed and added to the inventory first."),
            }
        )
    return questions


def _policy_lessons_and_questions(versions: list[PolicyVersion]) -> tuple[list[dict], list[dict]]:
    lessons, questions = [], []
    for version in versions:
        policy = version.policy
        lessons.append(
            {
                "slug": f"policy-{policy.slug}"[:80],
                "title": policy.title,
                "objectives": [_("Know what %(policy)s asks of you.", policy=policy.title)],
                "body": version.body_markdown,
                "key_points": [_("Read and acknowledge the current version of %(policy)s.", policy=policy.title)],
                "sources": [
                    {
                        "citation": _(
                            "%(policy)s, version %(number)s (internal policy).",
                            policy=policy.title,
                            number=version.number,
                        )
                    }
                ],
            }
        )
        if version.check_question:
            questions.append(
                {
                    "id": f"policy-{policy.id}-check",
                    "type": "single",
                    "prompt": version.check_question,
                    "choices": [
                        {"text": text, **({"correct": True} if i == version.check_answer else {})}
                        for i, text in enumerate(version.check_choices)
                    ],
                    "explanation": _("See %(policy)s.", policy=policy.title),
                }
            )
        questions.append(
            {
                "id": f"policy-{policy.id}-new-version",
                "type": "true_false",
                "prompt": _(
                    "When %(policy)s changes, you are asked to read and acknowledge the new version.",
                    policy=policy.title,
                ),
                "answer": True,
                "explanation": _("Each new version asks everyone it concerns again."),
            }
        )
    return lessons, questions


def template(organisation: str, now: datetime | None = None) -> dict:
    """The course as a course file (a dict in the authoring format)."""
    now = now or utcnow()
    systems = inventory.systems()
    in_use = [s for s in systems if s.in_use]
    retired = [s for s in systems if not s.in_use]
    current = policies.current_versions()
    versions = list(
        db.session.scalars(select(PolicyVersion).where(PolicyVersion.id.in_([vid for vid, _n in current.values()])))
    )
    versions.sort(key=lambda v: v.policy.title.casefold())
    tools_body = "\n\n".join(
        [
            _(
                "These are the AI tools %(organisation)s has approved or is piloting, with the data each may receive "
                "and who to ask.",
                organisation=organisation,
            )
        ]
        + [_system_section(s) for s in in_use]
        + ([_("No longer used: %(names)s.", names=", ".join(s.name for s in retired))] if retired else [])
    )
    inventory_source = {
        "citation": _(
            "%(organisation)s, inventory of AI systems, as of %(date)s.",
            organisation=organisation,
            date=now.date().isoformat(),
        )
    }
    tool_questions = _tool_questions(in_use, retired, organisation)
    policy_lessons, policy_questions = _policy_lessons_and_questions(versions)
    if not policy_lessons:
        policy_lessons = [
            {
                "slug": "our-rules",
                "title": _("Our rules for AI at work"),
                "objectives": [_("Know the rules for using AI tools at work.")],
                "body": _(
                    "[Edit: publish your AI acceptable-use policy under Admin → Policies, then generate this "
                    "template again, or write the rules here.]"
                ),
                "key_points": [_("Use only approved tools, with only the data they are approved for.")],
                "sources": [inventory_source],
            }
        ]
    while len(policy_questions) < 2:
        policy_questions.append(
            {
                "id": f"rules-data-{len(policy_questions) + 1}",
                "type": "true_false",
                "prompt": _("Personal data may go into any AI tool, as long as you delete the conversation afterwards.")
                if not policy_questions
                else _("Confidential data goes only into tools approved for it."),
                "answer": bool(policy_questions),
                "explanation": _("Each tool is approved for certain data classes only; check the list of tools."),
            }
        )
    report_body = "\n\n".join(
        [
            _("### Who to ask"),
            "\n".join(f"- {s.name}: {s.owner.display_name if s.owner else _('[Edit: the owner]')}" for s in in_use)
            or _("[Edit: who to ask about AI tools]"),
            _("### How to report an incident"),
            _(
                "[Edit: the address or form for AI incidents.] Report at once when an AI tool gives a harmful or "
                "discriminatory result, when you notice data going where it should not, or when a tool behaves "
                "unexpectedly."
            ),
            _(
                "If personal data may have leaked, tell the data protection officer straight away: a personal-data "
                "breach must be notified to the authority within 72 hours where required (GDPR Art. 33)."
            ),
            _(
                "For a high-risk AI system, a risk you notice can mean suspending its use and informing the provider "
                "(AI Act Art. 26(5))."
            ),
        ]
    )
    report_questions = [
        {
            "id": "report-leak",
            "type": "single",
            "prompt": _("You pasted a customer's personal data into a tool not approved for it. What do you do?"),
            "choices": [
                {"text": _("Tell the data protection officer straight away"), "correct": True},
                {"text": _("Wait and see whether the data is misused")},
                {"text": _("Delete the chat and tell no one")},
            ],
            "explanation": _(
                "It may be a personal-data breach; the 72-hour clock for notifying it runs from when "
                "the organisation becomes aware."
            ),
            "scenario": True,
        },
        {
            "id": "report-odd-output",
            "type": "true_false",
            "prompt": _("An approved AI tool gives an output that looks discriminatory. You report it."),
            "answer": True,
            "explanation": _("Report it to the tool's owner or the incident contact."),
            "scenario": True,
        },
    ]

    def quiz(questions: list[dict]) -> dict:
        return {
            "pass_mark": 80,
            "questions_per_attempt": min(len(questions), 5),
            "questions": questions,
        }

    return {
        "slug": SLUG,
        "title": _("Our AI tools and rules"),
        "summary": _(
            "The AI tools %(organisation)s uses, what data may go where, the rules everyone follows, who "
            "to ask and how to report an incident.",
            organisation=organisation,
        ),
        "audience": _("Everyone who uses AI tools at work"),
        "facts_checked": now.date(),
        "certificate_valid_months": 12,
        "modules": [
            {
                "slug": "our-ai-tools",
                "title": _("Our AI tools"),
                "lessons": [
                    {
                        "slug": "approved-tools",
                        "title": _("Approved tools and the data they may receive"),
                        "objectives": [_("Name the AI tools approved here and the data each may receive.")],
                        "body": tools_body,
                        "key_points": [_("Use only the tools listed, and only with the data they are approved for.")],
                        "sources": [inventory_source],
                    }
                ],
                "quiz": quiz(tool_questions),
            },
            {"slug": "our-rules", "title": _("Our rules"), "lessons": policy_lessons, "quiz": quiz(policy_questions)},
            {
                "slug": "asking-and-reporting",
                "title": _("Who to ask and how to report"),
                "lessons": [
                    {
                        "slug": "who-to-ask",
                        "title": _("Who to ask and how to report an incident"),
                        "objectives": [_("Know whom to ask about a tool and how to report an incident.")],
                        "body": report_body,
                        "key_points": [_("Report incidents at once; a possible data breach goes to the DPO now.")],
                        "sources": [
                            inventory_source,
                            {"citation": "Regulation (EU) 2016/679 (GDPR), Art. 33."},
                            {"citation": "Regulation (EU) 2024/1689 (AI Act), Art. 26(5)."},
                        ],
                    }
                ],
                "quiz": quiz(report_questions),
            },
        ],
    }


def template_yaml(organisation: str, now: datetime | None = None) -> str:
    return yaml.dump(  # noqa: S506 - _Dumper is a SafeDumper
        template(organisation, now), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
    )
