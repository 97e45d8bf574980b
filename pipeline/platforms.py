"""What the letters need to know about each platform: its name, operator and own rules.

Operators and rule names are as published by each platform in 2026; the office should check the
platform's current reporting route before sending (REFERENCE.md: what platforms ask for). How a
letter reaches a platform (its legal form or its standard report) is not kept here: the one
source is the platform directory, data/platforms.yaml (pipeline/takedown.channels).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformInfo:
    label: str
    operator: str
    rules_name: str
    rules: tuple[str, ...]


_BULLYING = "bullying and harassment"
PLATFORMS: dict[str, PlatformInfo] = {
    "facebook": PlatformInfo(
        "Facebook", "Meta Platforms Ireland Limited", "Community Standards",
        ("Bullying and Harassment", "Hateful Conduct", "Violence and Incitement",
         "Privacy Violations")),
    "instagram": PlatformInfo(
        "Instagram", "Meta Platforms Ireland Limited", "Community Guidelines",
        ("Bullying and Harassment", "Hateful Conduct", "Violence and Incitement",
         "Privacy Violations")),
    "x": PlatformInfo(
        "X", "X Corp.", "X Rules",
        ("Abuse and Harassment", "Hateful Conduct", "Violent Speech", "Private Information")),
    "tiktok": PlatformInfo(
        "TikTok", "TikTok Information Technologies UK Limited", "Community Guidelines",
        ("Harassment and Bullying", "Hate Speech and Hateful Behaviour",
         "Violent and Criminal Behaviour", "Privacy")),
    "snapchat": PlatformInfo(
        "Snapchat", "Snap Group Limited", "Community Guidelines",
        ("Harassment and Bullying", "Hateful Content", "Threats and Violence", "Privacy")),
    "youtube": PlatformInfo(
        "YouTube", "Google LLC", "Community Guidelines",
        ("Harassment and Cyberbullying", "Hate Speech", "Violent or Dangerous Content",
         "Privacy")),
    "whatsapp": PlatformInfo(
        "WhatsApp", "WhatsApp Ireland Limited", "Terms of Service",
        ("use that is unlawful, defamatory, threatening, intimidating or harassing",
         "use that is hateful or racially offensive")),
    "school_forum": PlatformInfo(
        "the school's online forum", "Bexton Primary School", "forum rules",
        ()),
    "school_website": PlatformInfo(
        "the school website", "Bexton Primary School", "website terms",
        ()),
}


def platform_info(platform: str, platform_name: str | None = None) -> PlatformInfo:
    """The entry for a platform; `other` platforms are described from their given name."""
    if platform == "other":
        name = platform_name or "the website"
        return PlatformInfo(name, f"the operator of {name}", "terms of use",
                            (_BULLYING, "hateful or abusive content", "threats",
                             "publishing personal information"))
    return PLATFORMS[platform]
