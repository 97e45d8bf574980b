"""Letters to a platform: the request to remove content (host takedown), one per platform."""

from __future__ import annotations

from typing import Any

from pipeline import kinds
from pipeline.case.model import Post
from pipeline.letter.parts import LetterSource
from pipeline.letter.redact import REDACTION_NOTE
from pipeline.platforms import platform_info

# --- to a platform ------------------------------------------------------------------------------

# Why a post breaks a platform's rules, by the concerns that show it.
_HARMS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"allegation", "cyberbullying", "harassment", "negative_comment", "names_staff",
                "names_pupil"}),
     "It targets identifiable people at a primary school with abusive or unfounded allegations, "
     "which is bullying and harassment under your rules."),
    (frozenset({"names_pupil"}),
     "It identifies a child of primary school age, who is entitled to particular protection; "
     "we refer to the child by initials only."),
    (frozenset({"personal_information", "confidential_information"}),
     "It publishes personal or confidential information about an individual without their "
     "consent."),
    (frozenset({"racist"}),
     "It contains racist content directed at a family in our school community."),
    (frozenset({"threat_of_violence"}), "It threatens violence against an identifiable person."),
    (frozenset({"grossly_obscene"}), "It contains grossly obscene material."),
    (frozenset({"defamatory"}),
     "It makes false statements of fact that damage the reputation of a named member of staff "
     "(see the notice of complaint below)."),
)


def _concerns(posts: list[Post]) -> set[str]:
    return {c for p in posts for c in p.concerns}


def _notices(src: LetterSource) -> list[dict[str, Any]]:
    """A notice of complaint for each named member of staff a defamatory post is about."""
    consent = src.case.consent_to_disclose
    if consent is None:
        consent = src.school.consent_to_disclose
    notices = []
    for p in src.posts:
        if "defamatory" not in p.concerns:
            continue
        for who in p.about:
            if who.role not in ("staff", "governor") or not who.name:
                continue
            statement, changed = src.redact.quote(p.text.removesuffix("\n"))
            complainant = src.redact(who.name)
            notices.append({
                "complainant": complainant, "email": src.school.notices_email,
                "statement": statement, "post_id": p.id,
                "redacted": changed, "redaction_note": REDACTION_NOTE if changed else "",
                "url": p.url or "",
                "meaning": src.redact(who.meaning or "That the complainant is guilty of the "
                                      "misconduct the statement describes."),
                "inaccurate": src.redact(who.inaccurate or "The statement as a whole is "
                                         "factually inaccurate."),
                "consent": bool(consent),
                "consent_text": (f"{complainant} consents to your giving the poster their name "
                                 "and the email address above." if consent else
                                 f"{complainant} does not consent to your giving the poster "
                                 "their name or email address."),
            })
    return notices


@kinds.HOST_TAKEDOWN.builds
def _host_takedown(ctx: dict[str, Any], src: LetterSource) -> None:
    post = src.posts[0]
    info = platform_info(post.platform, post.platform_name)
    concerns = _concerns(src.posts)
    # A site's name (platform: other) is case text; the platform directory's words are not.
    redact = src.redact if post.platform_name else (lambda text: text)
    ctx["platform"] = {"label": redact(info.label), "operator": redact(info.operator),
                       "rules_name": info.rules_name, "rules": list(info.rules),
                       "route": redact(info.route(defamatory="defamatory" in concerns))}
    ctx["recipient"] = {"name": f"Legal and abuse team, {ctx['platform']['operator']}",
                        "lines": [], "dear": "Sir or Madam"}
    ctx["harms"] = [text for shown_by, text in _HARMS if concerns & shown_by] or [
        "It causes distress to members of our school community."]
    ctx["notices"] = _notices(src)
    ctx["any_defamatory"] = bool(ctx["notices"])
