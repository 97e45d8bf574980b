"""Letters to the police: the referral and its evidence log."""

from __future__ import annotations

from typing import Any

from pipeline import kinds
from pipeline.dates import day_of
from pipeline.letter.parts import LetterSource, evidence_image
from pipeline.letter.words import number

# --- to the police ------------------------------------------------------------------------------

_OFFENCES: tuple[tuple[str, str], ...] = (
    ("threat_of_violence",
     "A post threatens violence against an identifiable person (Malicious Communications Act "
     "1988 s1; Online Safety Act 2023 s181, threatening communications)."),
    ("racist",
     "A post has a racial element (Crime and Disorder Act 1998 ss28 and 32, racially or "
     "religiously aggravated offences)."),
    ("grossly_obscene",
     "A post is grossly offensive or obscene (Malicious Communications Act 1988 s1; "
     "Communications Act 2003 s127)."),
)


def _harassment(occasions: int) -> str:
    if occasions >= 2:
        return ("Harassment: the posts repeatedly target identifiable people "
                f"({number(occasions)} occasions so far), which may be a course of conduct "
                "under the Protection from Harassment Act 1997 s2.")
    return ("The post is part of what the school considers harassment; so far it has recorded "
            "one occasion, and a course of conduct under the Protection from Harassment Act "
            "1997 needs two or more.")


@kinds.POLICE_REFERRAL.builds
def _police(ctx: dict[str, Any], src: LetterSource) -> None:
    case, posts = src.case, src.posts
    force = src.redact(case.police.force if case.police and case.police.force
                       else src.school.police_force)
    crime = src.redact(case.police.crime_reference if case.police and case.police.crime_reference
                       else "")
    ctx["police"] = {"force": force, "crime_reference": crime}
    ctx["recipient"] = {"name": force, "lines": [], "dear": "Sir or Madam"}
    concerns = {c for p in posts for c in p.concerns}
    harassment_posts = [p for p in posts if "harassment" in p.concerns]
    occasions = len({day_of(p.posted) for p in harassment_posts or posts})
    offences = [text for concern, text in _OFFENCES if concern in concerns]
    if "harassment" in concerns:
        offences.append(_harassment(occasions))
    ctx["offences"] = offences or [
        "The school has decided to report these posts so that the police can consider whether "
        "an offence has been committed."]
    ctx["occasions"] = number(occasions)
    ctx["course_of_conduct"] = occasions >= 2 and bool(harassment_posts)
    ctx["evidence"] = [{
        "id": pc["id"], "posted_full": pc["posted_full"], "platform": pc["platform"],
        "url": pc["url"] or "(no web address: private messaging)", "handle": pc["handle"],
        "text": pc["text"], "redacted": pc["redacted"], "redaction_note": pc["redaction_note"],
        "captured": ", ".join(x for x in (pc["captured_by"], pc["captured_full"]) if x),
        "screenshot": pc["evidence"], "status": pc["status"],
        "report_reference": pc["report_reference"], "crime_reference": crime,
        "image": evidence_image(post, src.case_dir, src.redact),
    } for pc, post in zip(ctx["posts"], posts)]
