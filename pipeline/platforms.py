"""What the letters need to know about each platform: its name, operator and own rules.

Operators and rule names are as published by each platform in 2026; the office should check the
platform's current reporting route before sending (REFERENCE.md: what platforms ask for).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlatformInfo:
    label: str
    operator: str
    rules_name: str
    rules: tuple[str, ...]
    report_route: str
    legal_route: str = ""

    def route(self, defamatory: bool) -> str:
        """How the school reports content there: the legal form only for defamation."""
        if defamatory and self.legal_route:
            return f"{self.legal_route} and {self.report_route}"
        return self.report_route


_BULLYING = "bullying and harassment"
PLATFORMS: dict[str, PlatformInfo] = {
    "facebook": PlatformInfo(
        "Facebook", "Meta Platforms Ireland Limited", "Community Standards",
        ("Bullying and Harassment", "Hateful Conduct", "Violence and Incitement",
         "Privacy Violations"),
        "the in-app report for the Community Standards",
        "Meta's legal removal request form (defamation)"),
    "instagram": PlatformInfo(
        "Instagram", "Meta Platforms Ireland Limited", "Community Guidelines",
        ("Bullying and Harassment", "Hateful Conduct", "Violence and Incitement",
         "Privacy Violations"),
        "the in-app report for the Community Guidelines",
        "Meta's legal removal request form (defamation)"),
    "x": PlatformInfo(
        "X", "X Corp.", "X Rules",
        ("Abuse and Harassment", "Hateful Conduct", "Violent Speech", "Private Information"),
        "the in-app report", "X's legal request portal"),
    "tiktok": PlatformInfo(
        "TikTok", "TikTok Information Technologies UK Limited", "Community Guidelines",
        ("Harassment and Bullying", "Hate Speech and Hateful Behaviour",
         "Violent and Criminal Behaviour", "Privacy"),
        "the in-app report", "TikTok's legal report form"),
    "snapchat": PlatformInfo(
        "Snapchat", "Snap Group Limited", "Community Guidelines",
        ("Harassment and Bullying", "Hateful Content", "Threats and Violence", "Privacy"),
        "Snapchat's Safety Centre report form"),
    "youtube": PlatformInfo(
        "YouTube", "Google LLC", "Community Guidelines",
        ("Harassment and Cyberbullying", "Hate Speech", "Violent or Dangerous Content",
         "Privacy"),
        "the in-app report", "YouTube's legal removal form (defamation)"),
    "whatsapp": PlatformInfo(
        "WhatsApp", "WhatsApp Ireland Limited", "Terms of Service",
        ("use that is unlawful, defamatory, threatening, intimidating or harassing",
         "use that is hateful or racially offensive"),
        "WhatsApp's in-app report and its support contact form"),
    "school_forum": PlatformInfo(
        "the school's online forum", "Bexton Primary School", "forum rules",
        (), "the school's own forum settings"),
    "school_website": PlatformInfo(
        "the school website", "Bexton Primary School", "website terms",
        (), "the school's own website settings"),
}


def platform_info(platform: str, platform_name: str | None = None) -> PlatformInfo:
    """The entry for a platform; `other` platforms are described from their given name."""
    if platform == "other":
        name = platform_name or "the website"
        return PlatformInfo(name, f"the operator of {name}", "terms of use",
                            (_BULLYING, "hateful or abusive content", "threats",
                             "publishing personal information"),
                            f"{name}'s report or contact form")
    return PLATFORMS[platform]
