"""The platform directory (data/platforms.yaml) and its loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from pipeline.case import model as models
from pipeline.directory import (
    CONCERNS,
    DEFAULT_DIRECTORY,
    NAME,
    OWN_SITES,
    PLATFORMS,
    Directory,
    load_directory,
)
from pipeline.errors import InvalidInput

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / DEFAULT_DIRECTORY
EXTERNAL = [p for p in PLATFORMS if p not in OWN_SITES]


def _entry(key: str) -> str:
    if key in OWN_SITES:
        return f"""{key}:
  label: the school's {key}
  own_site: true
  operator: The School
  abuse_report:
    how: Hide the post in the settings.
  preservation:
    how: Hide rather than delete.
  checked: 2026-12-01
  source: "REFERENCE.md: Website operators"
"""
    label = "\"{name}\"" if key == "other" else key.title()
    return f"""{key}:
  label: {label}
  operator: {key.title()} Operator Ltd
  unconfirmed: [operator_address]
  legal_contact:
    how: The legal form.
    web_form: https://{key}.example/legal
    email: legal@{key}.example
    post: [1 Example Street, London]
  abuse_report:
    how: Report it in the app.
    url: https://{key}.example/report
  preservation:
    how: Ask the police to ask.
    unconfirmed: true
  rules_name: Community Rules
  rules:
    harassment:
      name: Bullying and Harassment
      url: https://{key}.example/rules/bullying
    cyberbullying:
      name: Bullying and Harassment
      url: https://{key}.example/rules/bullying
    names_pupil:
      name: Bullying and Harassment
      url: https://{key}.example/rules/bullying
    racist:
      name: Hateful Conduct
    threat_of_violence:
      name: Violence and Incitement
      unconfirmed: true
    personal_information:
      name: Privacy Violations
  checked: 2026-12-01
  source:
    - https://{key}.example/terms
"""


# A small, complete directory the behaviour and error tests work on, so that the school can
# correct the shipped file without breaking the tests.
SAMPLE = "# a sample directory\n" + "\n".join(_entry(key) for key in PLATFORMS)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory(SHIPPED)


@pytest.fixture(scope="module")
def sample() -> Directory:
    return load_directory("sample.yaml", SAMPLE)


def problems_in(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "platforms.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_directory(path)
    return [str(p) for p in caught.value.problems]


def line_of(text: str, needle: str, start: str = "") -> int:
    """The 1-based line of the first `needle` after the first `start`."""
    offset = text.index(start) if start else 0
    return text.count("\n", 0, text.index(needle, offset)) + 1


def replace_once(text: str, old: str, new: str, after: str = "") -> str:
    offset = text.index(after) if after else 0
    at = text.index(old, offset)
    return text[:at] + new + text[at + len(old):]


# --- the shipped file ---------------------------------------------------------------------------


def test_the_shipped_file_loads_with_an_entry_for_every_platform(directory):
    assert DEFAULT_DIRECTORY == Path("data/platforms.yaml")
    assert list(directory.entries()) == list(PLATFORMS)
    assert set(PLATFORMS) == set(get_args(models.Platform))


def test_every_shipped_entry_says_when_it_was_checked_and_where_from(directory):
    for key, entry in directory.entries().items():
        assert isinstance(entry.checked, date) and entry.checked >= date(2026, 12, 1), key
        assert entry.source, key
        if key not in OWN_SITES and key != "other":
            assert any(s.startswith("https://") for s in entry.source), key


def test_every_web_address_in_the_shipped_file_is_https(directory):
    for key, entry in directory.entries().items():
        urls = [*entry.source, *(r.url for r in entry.rules.values())]
        for part in (entry.legal_contact, entry.abuse_report, entry.preservation):
            if part is not None:
                urls += [getattr(part, "url", None), getattr(part, "web_form", None)]
        for url in filter(None, urls):
            assert "://" not in url or url.startswith("https://"), (key, url)


def test_shipped_external_platforms_have_a_legal_route_and_rules_own_sites_neither(directory):
    for key in EXTERNAL:
        entry = directory.entry(key)
        assert entry.legal_contact is not None and entry.rules_name, key
        assert not entry.own_site
    for key in OWN_SITES:
        entry = directory.entry(key)
        assert entry.own_site and entry.legal_contact is None and not entry.rules


def test_each_legal_route_says_what_it_takes_and_meta_and_youtube_take_defamation_only(directory):
    # Facebook's and Instagram's forms and YouTube's webform are for defamation: bullying, hate and
    # threats go through the standard report (abuse_report) instead.
    for key in ("facebook", "instagram", "youtube"):
        assert directory.entry(key).legal_contact.takes == ("defamation",), key
    for key in ("x", "tiktok", "snapchat", "other"):
        assert directory.entry(key).legal_contact.takes == ("defamation", "illegal_content"), key
    for key in EXTERNAL:
        assert directory.entry(key).abuse_report.how, key


def test_a_legal_route_that_says_nothing_takes_defamation(sample):
    assert sample.facebook.legal_contact.takes == ("defamation",)


def test_an_unknown_ground_for_a_legal_route_is_reported_at_its_line(tmp_path):
    text = replace_once(SAMPLE, "    email: legal@x.example\n",
                        "    email: legal@x.example\n    takes: [defamation, bullying]\n")
    [problem] = problems_in(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'platforms.yaml'}:{line_of(text, 'takes:')}: "
                              "x.legal_contact.takes[2]:")
    assert "bullying" in problem and "illegal_content" in problem


def test_a_defamatory_facebook_post_cites_no_community_rule(directory):
    assert directory.facebook.rules_for(["defamatory"]) == []
    assert directory.facebook.rules_for({"defamatory", "names_staff", "allegation"}) == []
    assert directory.facebook.rules_for(["defamatory", "racist"]) == directory.facebook.rules_for(["racist"])


def test_criticism_engages_no_shipped_rule(directory):
    for key, entry in directory.entries().items():
        assert entry.rules_for(["complaint", "negative_comment"]) == [], key
        if key != "whatsapp":  # WhatsApp's own terms name defamatory use
            assert entry.rules_for(["defamatory"]) == [], key


def test_the_concern_vocabulary_is_the_case_formats_plus_allegation_of_harm():
    assert set(get_args(models.Concern)) <= set(CONCERNS)
    assert "allegation_of_harm" in CONCERNS


# --- the model ---------------------------------------------------------------------------------


def test_the_sample_loads_every_field(sample):
    entry = sample.tiktok
    assert entry.legal_contact is not None
    assert entry.legal_contact.post == ("1 Example Street", "London")
    assert entry.legal_contact.email == "legal@tiktok.example"
    assert entry.preservation.unconfirmed is True
    assert entry.source == ("https://tiktok.example/terms",)
    assert sample.school_forum.source == ("REFERENCE.md: Website operators",)
    assert not entry.is_confirmed("operator_address") and entry.is_confirmed("operator")


def test_the_directory_is_read_only(sample):
    with pytest.raises(ValidationError):
        sample.facebook.label = "Facebook!"  # type: ignore[misc]


def test_rules_for_returns_only_the_rules_the_concerns_engage(sample):
    assert sample.facebook.rules_for(["defamatory"]) == []
    assert [r.name for r in sample.facebook.rules_for(["racist"])] == ["Hateful Conduct"]
    names = [r.name for r in sample.facebook.rules_for(["threat_of_violence", "harassment"])]
    assert names == ["Violence and Incitement", "Bullying and Harassment"]  # the concern list's order


def test_rules_for_lists_a_rule_once_in_a_stable_order(sample):
    concerns = ["names_pupil", "harassment", "cyberbullying", "personal_information"]
    first = sample.facebook.rules_for(concerns)
    assert [r.name for r in first] == ["Bullying and Harassment", "Privacy Violations"]
    assert first[0].url == "https://facebook.example/rules/bullying"
    assert sample.facebook.rules_for(reversed(concerns)) == first
    assert sample.facebook.rules_for(iter(concerns)) == first


def test_rules_for_refuses_an_unknown_concern(sample):
    with pytest.raises(ValueError, match="unknown concern"):
        sample.facebook.rules_for(["rude"])


def test_other_is_labelled_with_the_sites_name(sample, directory):
    for loaded in (sample, directory):
        entry = loaded.entry("other", "Nextdoor")
        assert entry.label == "Nextdoor"
        for text in (entry.label, entry.operator, entry.abuse_report.how, entry.preservation.how,
                     entry.legal_contact.how if entry.legal_contact else ""):
            assert NAME not in text
        assert loaded.entry("other").label == "the website"
        assert loaded.entry("other", "  ").label == "the website"
        assert loaded.other.label == NAME  # the stored entry is untouched
    assert sample.entry("other", "Nextdoor").rules_for(["harassment"])[0].name == "Bullying and Harassment"


def test_a_name_given_for_a_listed_platform_changes_nothing(sample):
    assert sample.entry("facebook", "Nextdoor") == sample.facebook


def test_an_unknown_platform_key_is_refused(sample):
    with pytest.raises(KeyError):
        sample.entry("myspace")


# --- errors the school will make when correcting the file, each at FILE:LINE ---------------------


def test_an_unknown_concern_key_is_reported_at_its_line(tmp_path):
    text = replace_once(SAMPLE, "    racist:\n", "    racism:\n", after="\nfacebook:")
    line = line_of(text, "    racism:")
    problems = problems_in(tmp_path, text)
    assert len(problems) == 1
    assert f"platforms.yaml:{line}: facebook.rules.racism: 'racism' is not a concern word" in problems[0]
    assert "did you mean 'racist'?" in problems[0]


def test_a_duplicate_key_is_reported_at_its_line(tmp_path):
    text = replace_once(SAMPLE, "  operator: Youtube Operator Ltd\n",
                        "  operator: Youtube Operator Ltd\n  operator: Another Ltd\n")
    line = line_of(text, "  operator: Another Ltd")
    problems = problems_in(tmp_path, text)
    assert problems == [f"{tmp_path / 'platforms.yaml'}:{line}: youtube.operator: appears twice "
                        f"(first on line {line - 1}); keep only one"]


def test_an_unknown_platform_and_a_misspelt_field_are_reported(tmp_path):
    text = replace_once(SAMPLE, "\nsnapchat:\n", "\nsnapchatt:\n")
    text = replace_once(text, "  operator: X Operator Ltd\n", "  operater: X Operator Ltd\n")
    joined = "\n".join(problems_in(tmp_path, text))
    assert f":{line_of(text, 'snapchatt:')}: snapchatt: 'snapchatt' is not a platform" in joined
    assert "snapchat: is required but missing" in joined
    assert f":{line_of(text, '  operater:')}: x.operater: 'operater' is not a field" in joined
    assert "did you mean 'operator'?" in joined
    assert "x.operator: is required but missing" in joined


def test_an_http_address_is_refused(tmp_path):
    text = replace_once(SAMPLE, "url: https://facebook.example/report", "url: http://facebook.example/report")
    line = line_of(text, "http://facebook.example/report")
    assert problems_in(tmp_path, text) == [
        f"{tmp_path / 'platforms.yaml'}:{line}: facebook.abuse_report.url: "
        "'http://facebook.example/report' is not a web address beginning with https:// (write the "
        "whole address, e.g. https://www.example.com/page)"]


def test_a_source_that_is_a_web_address_must_be_https(tmp_path):
    text = replace_once(SAMPLE, "    - https://x.example/terms", "    - www.x.example/terms")
    assert "x.source[1]: 'www.x.example/terms' is not a web address beginning with https://" in (
        problems_in(tmp_path, text)[0])


def test_an_entry_without_checked_or_source_is_refused(tmp_path):
    text = replace_once(SAMPLE, "  checked: 2026-12-01\n", "", after="\nwhatsapp:")
    text = replace_once(text, "  source:\n", "  sources:\n", after="\nwhatsapp:")
    joined = "\n".join(problems_in(tmp_path, text))
    assert "whatsapp.checked: is required but missing" in joined
    assert "whatsapp.source: is required but missing" in joined


def test_an_empty_source_list_is_refused(tmp_path):
    text = replace_once(SAMPLE, "  source:\n    - https://x.example/terms\n", "  source: []\n")
    assert "x.source: needs at least one entry" in problems_in(tmp_path, text)[0]


def test_a_date_that_is_not_iso_is_refused(tmp_path):
    text = replace_once(SAMPLE, "checked: 2026-12-01", "checked: 01/12/2026", after="\ntiktok:")
    line = line_of(text, "checked: 01/12/2026")
    assert f":{line}: tiktok.checked: must be the date it was checked" in problems_in(tmp_path, text)[0]


def test_a_yes_no_value_where_text_is_meant_is_refused(tmp_path):
    text = replace_once(SAMPLE, "  label: Tiktok\n", "  label: no\n")
    problems = problems_in(tmp_path, text)
    assert "tiktok.label: YAML read this as a yes/no value" in problems[0]
    assert "(you wrote no)" in problems[0]


def test_a_bad_email_is_refused(tmp_path):
    text = replace_once(SAMPLE, "email: legal@x.example", "email: legal at x")
    assert "x.legal_contact.email: 'legal at x' is not an email address" in problems_in(tmp_path, text)[0]


def test_a_bad_unconfirmed_field_name_is_refused(tmp_path):
    text = replace_once(SAMPLE, "unconfirmed: [operator_address]", "unconfirmed: [legal_contact]",
                        after="\nx:")
    problems = problems_in(tmp_path, text)
    assert "x.unconfirmed[1]: 'legal_contact' is not a field that can be listed as unconfirmed" in problems[0]


def test_cross_checks_own_sites_other_and_the_name_placeholder(tmp_path):
    text = replace_once(SAMPLE, "  label: Facebook\n", "  label: Facebook ({name})\n")
    text = replace_once(text, '  label: "{name}"\n', "  label: Another site\n")
    text = replace_once(text, "  own_site: true\n", "  own_site: false\n", after="\nschool_website:")
    text = replace_once(text, "  rules_name: Community Rules\n", "", after="\nyoutube:")
    joined = "\n".join(problems_in(tmp_path, text))
    assert f":{line_of(text, '  label: Facebook (')}: facebook.label: only the 'other' entry" in joined
    assert f":{line_of(text, '  label: Another site')}: other.label: must contain {{name}}" in joined
    assert "school_website.own_site: must be true for the school's own forum" in joined
    assert f":{line_of(text, 'youtube:')}: youtube: rules_name: is required" in joined


def test_an_own_site_with_rules_or_a_legal_contact_is_refused(tmp_path):
    text = replace_once(SAMPLE, "  checked: 2026-12-01\n",
                        "  rules:\n    harassment:\n      name: forum rules\n"
                        "  legal_contact:\n    how: Write to us.\n  checked: 2026-12-01\n",
                        after="\nschool_forum:")
    joined = "\n".join(problems_in(tmp_path, text))
    assert "school_forum.rules: the school's own site has no platform rules" in joined
    assert "school_forum.legal_contact: the school's own site needs no legal contact" in joined


def test_an_empty_or_broken_file_is_refused(tmp_path):
    assert "is empty; the platform directory needs" in problems_in(tmp_path, "\n# nothing\n")[0]
    assert "is empty; the platform directory needs" in problems_in(tmp_path, "")[0]
    assert "not valid YAML" in problems_in(tmp_path, "facebook: [unclosed\n")[0]
    assert "must be a set of fields" in problems_in(tmp_path, "- facebook\n")[0]


def test_every_letter_reads_the_same_directory_from_any_folder(tmp_path, monkeypatch):
    # Run from a folder with no data/platforms.yaml (an installed `letters`): the poster's and
    # the police letters find the copy shipped with the program, as the platform letter does,
    # instead of failing (poster) or silently going without it (police).
    from pipeline.directory import platform_directory
    from pipeline.letter import to_police, to_poster

    monkeypatch.chdir(tmp_path)
    shipped = platform_directory()
    assert to_poster._directory() is shipped
    assert to_police._directory() is shipped
    assert shipped.entry("facebook", None) is not None
