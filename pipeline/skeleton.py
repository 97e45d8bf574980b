"""The commented skeleton `letters new-case` writes for office staff to fill in."""

from __future__ import annotations

from datetime import date

from pipeline.case.load import PLACEHOLDER

SKELETON = """\
# yaml-language-server: $schema={schema}
# New case: fill in every {placeholder}, delete what does not apply, then run:
#   make check        (or: .venv/bin/letters check {file})
# Until every {placeholder} is replaced, the check says the case is not finished.
case_id: {case_id}
opened: {today}                      # the day the school first heard of it (YYYY-MM-DD)
poster:                              # the person who posted
  name: {placeholder}                 # e.g. Mrs Jane Doe
  salutation: {placeholder}           # e.g. Mrs Doe  ("Dear Mrs Doe")
  relationship: parent               # parent | carer | relative | associated
  address:                           # needed when a letter goes to them by post
    - {placeholder}                   # street
    - {placeholder}                   # town
    - {placeholder}                   # postcode
  # email: jane.doe@example.org
  # children:                        # pupils linked to the poster (initials only to outsiders)
  #   - {{name: Sam Doe, class: Year 4, known_as: [Sam]}}   # known_as: names used alone for them
posts:
  - id: P1
    platform: facebook               # facebook | instagram | x | tiktok | snapchat | youtube
                                     # | whatsapp | school_forum | school_website | other
    # platform_name: Nextdoor        # only when platform is other
    url: {placeholder}                # the full address of the post (not needed for whatsapp)
    posted: {today}                  # date, or date and time: 2026-10-30T18:45
    captured: {today}                # when the school took its copy/screenshot
    captured_by: {placeholder}        # e.g. Office Manager
    visibility: public               # public | group | private
    text: |                          # paste the post exactly as written, indented like this
      {placeholder}
    # evidence: evidence/{case_id}-P1.png   # screenshot, beside this file
    # evidence_redacted: true        # the screenshot has pupils' names blacked out (else it is
                                     # not sent to platforms or the police)
    concerns: [complaint]            # allegation, cyberbullying, complaint, defamatory,
                                     # negative_comment, racist, threat_of_violence,
                                     # personal_information, confidential_information,
                                     # grossly_obscene, harassment, names_staff, names_pupil
    about:                           # who the post is about
      - {{role: staff, name: {placeholder}}}   # role: staff | pupil | governor | school | parent
      # - {{role: pupil, name: Sam Doe, known_as: [Sam]}}   # a pupil: initials to outsiders
    status: live                     # live | removed
history: []                          # add a step each time the school acts, oldest first:
#  - date: 2026-11-03
#    step: discussion                # discussion | concern_letter | warning_letter | host_takedown
#                                    # | police_referral | legal_referral | access_restriction
#    outcome: refused                # agreed | refused | no_response | continued | removed | pending
#    by: Headteacher
#    notes: What was said.
"""


def skeleton(case_id: str, today: date, file_name: str, *,
             schema: str = "../../pipeline/case/case.schema.json") -> str:
    return SKELETON.format(case_id=case_id, today=today.isoformat(), file=file_name,
                           placeholder=PLACEHOLDER, schema=schema)
