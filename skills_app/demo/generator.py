"""A believable, entirely fictional department for demonstrations and benchmarks.

``seed_demo(people=N, seed=S)`` builds the "Department for Public Services": directorates,
divisions and teams; N people with grades, locations, clearances, line managers, skills,
role history and qualifications; a small set of local operational skills and role profiles
(so that surge demand exists beside the DDaT digital roles); and one demo login per role.

Everything random comes from ``random.Random`` instances derived from the seed (never the
global random state, never faker), so the same seed and the same taxonomy produce the same
people, skills and dates on any database on the same day (dates are relative to ``as_of``,
default today). Only the demo passwords are fresh each run (``secrets``).

Speed: rows are generated as tuples and written by ``skills_app.people.bulk`` (COPY on
PostgreSQL), person skills streamed straight from the generator; primary keys for people are
assigned here, managers before their reports, so line managers go in with the first insert.
"""

from __future__ import annotations

import math
import random
import secrets
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from matching.rules import add_months
from skills_app.accounts.permissions import ROLE_LABELS, Role
from skills_app.accounts.services import user_create_with_roles
from skills_app.audit.models import AccessEvent
from skills_app.index.changes import workforce_changed
from skills_app.people.bulk import (
    analyze,
    foreign_keys_suspended,
    indexes_suspended,
    insert_rows,
    reset_sequences,
)
from skills_app.people.models import (
    ChangeScope,
    Clearance,
    EvidenceKind,
    OrgUnit,
    OrgUnitKind,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
)
from skills_app.roles.models import RoleProfile, RoleRequirement, RoleSource
from skills_app.surge.models import Allocation, SurgeScenario
from taxonomy.models import QualificationSkill, Skill, SkillKind, SkillStatus, Source

DEPARTMENT = "Department for Public Services"
EMAIL_DOMAIN = "dps.example"  # RFC 2606 reserved: no real mailbox can receive demo mail
LOCAL_SKILL_URI = "urn:muster:local:skill:"
MIN_PEOPLE = 100
DEMO_URL = "http://127.0.0.1:8000/"


class DemoError(Exception):
    pass


# --- demo logins -----------------------------------------------------------------------------

DEMO_USERS: list[tuple[str, frozenset[Role]]] = [
    ("staff", frozenset({Role.STAFF})),
    ("manager", frozenset({Role.STAFF, Role.LINE_MANAGER})),
    ("planner", frozenset({Role.STAFF, Role.PLANNER})),
    ("hr", frozenset({Role.STAFF, Role.HR})),
    ("steward", frozenset({Role.STAFF, Role.STEWARD})),
    ("admin", frozenset({Role.ADMIN, Role.STAFF})),
]
DEMO_USERNAMES = [username for username, _ in DEMO_USERS]
# The role a demo login is named after (for the printed table).
DEMO_MAIN_ROLE = {
    "staff": Role.STAFF,
    "manager": Role.LINE_MANAGER,
    "planner": Role.PLANNER,
    "hr": Role.HR,
    "steward": Role.STEWARD,
    "admin": Role.ADMIN,
}
# Where to find a person for each demo login: (org path fragment, grades most preferred first).
DEMO_PERSON_PLACES = {
    "manager": ("/Universal Credit Operations/", []),
    "planner": ("/Universal Credit Operations/", ["SEO", "HEO", "G7"]),
    "hr": ("/Pensions and Disability Services/", ["HEO", "EO", "SEO"]),
    "steward": ("/Data Governance/", ["G7", "SEO", "HEO"]),
    "admin": ("/Technology Services/", ["SEO", "G7", "HEO"]),
}

# fmt: off
PASSWORD_WORDS = [
    "amber", "anchor", "apple", "arrow", "aspen", "badger", "basil", "beacon", "birch", "bison",
    "bramble", "breeze", "brook", "cactus", "canal", "candle", "canyon", "cedar", "chalk",
    "cherry", "cider", "cliff", "clover", "cobalt", "comet", "copper", "coral", "cotton", "crane",
    "crystal", "daisy", "delta", "dune", "eagle", "ember", "falcon", "fern", "fig", "flint",
    "forest", "fox", "garnet", "ginger", "glacier", "granite", "hazel", "heather", "heron",
    "honey", "harbour", "indigo", "iris", "island", "ivy", "jade", "jasmine", "kestrel", "kettle",
    "lagoon", "lantern", "larch", "lemon", "lilac", "linen", "lotus", "maple", "marble", "meadow",
    "mint", "moss", "nectar", "nutmeg", "oak", "ocean", "olive", "orchid", "otter", "owl", "paper",
    "pebble", "pepper", "pine", "plum", "pollen", "poppy", "quartz", "quill", "raven", "reed",
    "ridge", "river", "robin", "rowan", "saffron", "sage", "salmon", "sapphire", "shore", "silver",
    "slate", "sorrel", "spruce", "stream", "summit", "swallow", "thistle", "thyme", "tide",
    "timber", "topaz", "tulip", "velvet", "violet", "walnut", "willow", "wren", "yarrow", "zephyr",
]
# fmt: on


def new_password() -> str:
    """Three random words and four digits, e.g. ``harbour-velvet-tulip-4821`` (>= 12 chars)."""
    words = "-".join(secrets.choice(PASSWORD_WORDS) for _ in range(3))
    return f"{words}-{secrets.randbelow(10_000):04d}"


# --- fixed vocabularies ----------------------------------------------------------------------
# Data tables, laid out by hand for reading.
# fmt: off

FIRST_NAMES = [
    "Aaliyah", "Abdul", "Adam", "Adebayo", "Aditi", "Aisha", "Alan", "Alex", "Alice", "Alistair",
    "Amara", "Amelia", "Amir", "Amy", "Andrew", "Angela", "Anna", "Anthony", "Arjun", "Ava",
    "Barbara", "Ben", "Bethan", "Bilal", "Brian", "Callum", "Carl", "Caroline", "Catherine",
    "Charlotte", "Chloe", "Chris", "Claire", "Connor", "Craig", "Daniel", "Darren", "David",
    "Dawn", "Deborah", "Declan", "Deepa", "Dylan", "Eilidh", "Elaine", "Eleanor", "Elif", "Ella",
    "Emily", "Emma", "Eoin", "Ethan", "Fatima", "Finley", "Fiona", "Francesca", "Gareth", "Gemma",
    "George", "Grace", "Graham", "Hamza", "Hannah", "Harriet", "Harry", "Hassan", "Helen", "Holly",
    "Ian", "Imran", "Isabel", "Isla", "Jack", "Jacob", "James", "Jamie", "Jane", "Jasmine",
    "Jason", "Jennifer", "Jessica", "Joanne", "John", "Jordan", "Joseph", "Joshua", "Julie",
    "Karen", "Katie", "Kavita", "Kayleigh", "Keith", "Kelly", "Kerry", "Kevin", "Kieran", "Kwame",
    "Laura", "Lauren", "Leah", "Lee", "Leon", "Liam", "Lily", "Lisa", "Louise", "Lucy", "Luke",
    "Mandeep", "Marcus", "Maria", "Mark", "Martin", "Matthew", "Megan", "Michael", "Michelle",
    "Mohammed", "Molly", "Nadia", "Naomi", "Natalie", "Neil", "Nia", "Nicola", "Noah", "Oliver",
    "Olivia", "Omar", "Owen", "Paul", "Priya", "Rachel", "Rebecca", "Rhian", "Rhys", "Richard",
    "Robert", "Rosie", "Ruth", "Ryan", "Sadia", "Samuel", "Sandra", "Sarah", "Scott", "Sean",
    "Shauna", "Sian", "Simon", "Sophie", "Stephen", "Stuart", "Susan", "Tariq", "Thomas", "Tom",
    "Tracey", "Tyler", "Victoria", "Wayne", "William", "Yasmin", "Yusuf", "Zainab", "Zara", "Zoe",
]
LAST_NAMES = [
    "Abbott", "Adams", "Ahmed", "Akhtar", "Ali", "Allen", "Anderson", "Armstrong", "Atkinson",
    "Bailey", "Baker", "Banks", "Barker", "Barnes", "Bell", "Bennett", "Begum", "Bibi", "Bird",
    "Bradley", "Brown", "Burns", "Butler", "Campbell", "Carter", "Chapman", "Chaudhry", "Clark",
    "Clarke", "Cole", "Collins", "Cook", "Cooper", "Cox", "Craig", "Davies", "Davis", "Dawson",
    "Dixon", "Doherty", "Edwards", "Ellis", "Evans", "Fisher", "Fletcher", "Foster", "Fraser",
    "Gallagher", "Gill", "Graham", "Grant", "Gray", "Green", "Griffiths", "Hall", "Harris",
    "Harrison", "Hart", "Hayes", "Henderson", "Hill", "Holmes", "Hughes", "Hunt", "Hussain",
    "Iqbal", "Jackson", "James", "Jenkins", "Johnson", "Johnston", "Jones", "Kaur", "Kelly",
    "Kennedy", "Khan", "King", "Knight", "Lee", "Lewis", "Lloyd", "Mahmood", "Marshall", "Martin",
    "Mason", "Matthews", "McDonald", "McKenzie", "Miller", "Mills", "Mitchell", "Moore", "Morgan",
    "Morris", "Murphy", "Murray", "Nelson", "Nowak", "Obi", "Okafor", "O'Brien", "O'Neill", "Owen",
    "Owusu", "Palmer", "Parker", "Patel", "Pearson", "Phillips", "Powell", "Price", "Pritchard",
    "Rahman", "Reid", "Reynolds", "Richards", "Roberts", "Robertson", "Robinson", "Rogers", "Ross",
    "Russell", "Scott", "Shah", "Sharma", "Shaw", "Simpson", "Singh", "Smith", "Stevens",
    "Stewart", "Taylor", "Thomas", "Thompson", "Turner", "Walker", "Wallace", "Walsh", "Ward",
    "Watson", "Webb", "White", "Wilkinson", "Williams", "Wilson", "Wood", "Wright", "Young",
]

LOCATIONS = [
    "Leeds", "Sheffield", "Newcastle", "Manchester", "Birmingham", "Glasgow", "Cardiff",
    "Blackpool", "London", "Bristol", "Darlington", "Norwich", "Liverpool", "Wolverhampton",
    "Swansea", "Nottingham", "Plymouth", "Hull", "Preston", "Edinburgh",
]
DIGITAL_HUBS = [
    "Leeds", "Manchester", "Newcastle", "Sheffield", "Blackpool", "London", "Birmingham",
    "Bristol", "Glasgow", "Cardiff",
]
WELSH_LOCATIONS = {"Cardiff", "Swansea"}
TEAM_BIRDS = [
    "Avocet", "Bittern", "Bullfinch", "Buzzard", "Chaffinch", "Curlew", "Dipper", "Dunlin",
    "Dunnock", "Eider", "Fieldfare", "Gannet", "Goldcrest", "Goldfinch", "Goshawk", "Grebe",
    "Greenfinch", "Guillemot", "Heron", "Hobby", "Jackdaw", "Kestrel", "Kingfisher", "Kite",
    "Kittiwake", "Lapwing", "Linnet", "Mallard", "Merlin", "Nightjar", "Nuthatch", "Osprey",
    "Peregrine", "Plover", "Puffin", "Redstart", "Redwing", "Robin", "Sanderling", "Siskin",
    "Skylark", "Starling", "Stonechat", "Swift", "Teal", "Treecreeper", "Wagtail", "Waxwing",
    "Wheatear", "Woodlark", "Wren", "Yellowhammer",
]

# (name, kind, description)
LOCAL_SKILLS: list[tuple[str, str, str]] = [
    ("Customer service", SkillKind.SKILL,
     "Helping members of the public accurately and courteously, face to face, by phone "
     "and online."),
    ("Case management", SkillKind.SKILL,
     "Owning a caseload from first contact to resolution: gathering evidence, keeping records "
     "and chasing actions to time."),
    ("Benefit processing", SkillKind.SKILL,
     "Processing benefit claims and changes of circumstances accurately on the "
     "department's systems."),
    ("Telephony", SkillKind.SKILL,
     "Handling inbound and outbound calls on a contact-centre telephony system, including "
     "difficult calls and call wrap-up."),
    ("Decision making on claims", SkillKind.SKILL,
     "Making and recording lawful, reasoned decisions on claims by weighing evidence "
     "against the rules."),
    ("Fraud awareness", SkillKind.KNOWLEDGE,
     "Recognising indicators of fraud and error and referring cases correctly."),
    ("Fraud investigation", SkillKind.SKILL,
     "Investigating suspected fraud to criminal standards, including interviews under caution."),
    ("Complaints handling", SkillKind.SKILL,
     "Resolving complaints fairly and quickly, putting things right and learning from them."),
    ("Data entry", SkillKind.SKILL, "Keying and checking information accurately and quickly."),
    ("Payments processing", SkillKind.SKILL,
     "Setting up, checking and correcting payments, arrears and deductions."),
    ("Safeguarding vulnerable customers", SkillKind.SKILL,
     "Identifying customers at risk of harm and taking the right safeguarding action."),
    ("Casework quality assurance", SkillKind.SKILL,
     "Checking casework against standards and giving feedback that improves accuracy."),
    ("Debt management", SkillKind.SKILL,
     "Recovering overpayments and debts fairly, agreeing affordable repayment plans."),
    ("Universal Credit rules", SkillKind.KNOWLEDGE,
     "The entitlement, conditionality and payment rules of Universal Credit."),
    ("State Pension and Pension Credit rules", SkillKind.KNOWLEDGE,
     "The entitlement and payment rules of State Pension and Pension Credit."),
    ("Immigration rules", SkillKind.KNOWLEDGE,
     "The immigration rules and guidance used to decide visa and citizenship applications."),
    ("Identity and document verification", SkillKind.SKILL,
     "Confirming identity and checking documents for signs of forgery or impostor use."),
    ("Interviewing", SkillKind.SKILL,
     "Planning and conducting structured interviews that gather reliable information."),
    ("Evidence assessment", SkillKind.SKILL,
     "Judging the relevance, reliability and weight of evidence."),
    ("Employment support coaching", SkillKind.SKILL,
     "Coaching claimants towards work: action plans, job goals and referrals to support."),
    ("Digital inclusion support", SkillKind.SKILL,
     "Helping customers get online and use digital services with confidence."),
    ("Written communication", SkillKind.SKILL,
     "Writing clear letters, decisions and case notes in plain English."),
    ("Appeals and mandatory reconsiderations", SkillKind.KNOWLEDGE,
     "The reconsideration and tribunal appeal process, and preparing appeal responses."),
    ("Records management", SkillKind.SKILL,
     "Keeping records complete, secure and compliant with retention rules."),
    ("Mental health awareness", SkillKind.KNOWLEDGE,
     "Recognising mental ill health and responding with care, including signposting support."),
    ("Team leadership", SkillKind.SKILL,
     "Leading a team day to day: priorities, wellbeing, attendance and performance."),
    ("Workload planning", SkillKind.SKILL,
     "Forecasting work and scheduling people so service levels are met."),
    ("Performance coaching", SkillKind.SKILL,
     "Observing work, giving feedback and coaching people to improve."),
    ("Stakeholder engagement", SkillKind.SKILL,
     "Building working relationships with partners, suppliers and other departments."),
    ("Budget management", SkillKind.SKILL, "Planning and controlling a budget within delegations."),
    ("Strategic leadership", SkillKind.SKILL,
     "Setting direction for a large organisation and leading it through change."),
    ("Welsh language", SkillKind.LANGUAGE, "Serving customers and writing in Welsh."),
    ("British Sign Language", SkillKind.LANGUAGE, "Communicating with Deaf customers in BSL."),
    ("Polish language", SkillKind.LANGUAGE, "Serving customers in Polish."),
    ("Urdu language", SkillKind.LANGUAGE, "Serving customers in Urdu."),
    ("Punjabi language", SkillKind.LANGUAGE, "Serving customers in Punjabi."),
    ("Arabic language", SkillKind.LANGUAGE, "Serving customers in Arabic."),
    ("Ukrainian language", SkillKind.LANGUAGE, "Serving customers in Ukrainian."),
]
LEADERSHIP_SKILLS = [
    "Team leadership", "Workload planning", "Performance coaching", "Stakeholder engagement",
    "Budget management", "Strategic leadership",
]
LANGUAGE_SKILLS = [
    "Polish language", "Urdu language", "Punjabi language", "Arabic language", "Ukrainian language",
]
OPERATIONAL_EXTRAS = [
    name for name, kind, _ in LOCAL_SKILLS
    if kind != SkillKind.LANGUAGE and name not in LEADERSHIP_SKILLS
]
GENERAL_SKILLS = ["Written communication", "Stakeholder engagement", "Customer service"]

# (code, title, grade_min, grade_max, team label, description, [(skill, level, essential)])
LOCAL_ROLES: list[tuple] = [
    ("work-coach", "Work coach", "EO", "EO", "Work Coach Team",
     "Supports claimants into work through regular coaching conversations in a jobcentre.",
     [("Employment support coaching", 3, True), ("Interviewing", 3, False),
      ("Universal Credit rules", 2, False), ("Customer service", 3, False),
      ("Safeguarding vulnerable customers", 2, False), ("Digital inclusion support", 2, False),
      ("Mental health awareness", 2, False)]),
    ("universal-credit-case-manager", "Universal Credit case manager", "AO", "EO",
     "Case Management Team",
     "Manages a caseload of Universal Credit claims: verifying, calculating and paying.",
     [("Case management", 3, True), ("Benefit processing", 3, True),
      ("Universal Credit rules", 3, False), ("Data entry", 2, False),
      ("Customer service", 2, False), ("Telephony", 2, False), ("Payments processing", 2, False)]),
    ("contact-centre-adviser", "Contact centre adviser", "AO", "AO", "Contact Centre Team",
     "Answers customer calls, resolves queries at first contact and routes the rest.",
     [("Telephony", 3, True), ("Customer service", 3, True), ("Data entry", 2, False),
      ("Complaints handling", 2, False), ("Safeguarding vulnerable customers", 2, False),
      ("Identity and document verification", 2, False)]),
    ("decision-maker", "Decision maker", "EO", "HEO", "Decision Making Team",
     "Decides entitlement on complex claims and reconsiderations, recording reasons.",
     [("Decision making on claims", 3, True), ("Universal Credit rules", 3, False),
      ("Evidence assessment", 3, False), ("Appeals and mandatory reconsiderations", 2, False),
      ("Written communication", 3, False), ("Casework quality assurance", 2, False)]),
    ("visa-caseworker", "Visa caseworker", "EO", "HEO", "Visa Casework Team",
     "Decides visa applications against the immigration rules, including surge schemes.",
     [("Immigration rules", 3, True), ("Identity and document verification", 3, True),
      ("Case management", 3, False), ("Decision making on claims", 2, False),
      ("Data entry", 2, False), ("Safeguarding vulnerable customers", 2, False),
      ("Written communication", 2, False)]),
    ("fraud-investigator", "Fraud investigator", "EO", "HEO", "Counter Fraud Team",
     "Investigates suspected benefit fraud and prepares cases for prosecution.",
     [("Fraud investigation", 3, True), ("Fraud awareness", 3, False), ("Interviewing", 3, False),
      ("Evidence assessment", 3, False), ("Records management", 2, False),
      ("Written communication", 3, False)]),
    ("debt-management-officer", "Debt management officer", "AO", "EO", "Debt Recovery Team",
     "Recovers overpayments, agreeing affordable repayment plans with customers.",
     [("Debt management", 3, True), ("Payments processing", 3, False), ("Telephony", 2, False),
      ("Customer service", 3, False), ("Safeguarding vulnerable customers", 2, False)]),
    ("pensions-processor", "Pensions processor", "AO", "EO", "Pension Processing Team",
     "Processes State Pension and Pension Credit claims and changes.",
     [("State Pension and Pension Credit rules", 3, True), ("Benefit processing", 3, False),
      ("Payments processing", 2, False), ("Data entry", 3, False), ("Customer service", 2, False)]),
    ("complaints-resolution-officer", "Complaints resolution officer", "AO", "HEO",
     "Complaints Resolution Team",
     "Investigates and resolves customer complaints and MP correspondence.",
     [("Complaints handling", 3, True), ("Written communication", 3, False),
      ("Customer service", 3, False), ("Casework quality assurance", 2, False),
      ("Case management", 2, False)]),
    ("operational-team-leader", "Operational team leader", "HEO", "SEO", "",
     "Leads an operational team of 8-15 people, managing performance, quality and wellbeing.",
     [("Team leadership", 3, True), ("Performance coaching", 3, False),
      ("Workload planning", 3, False), ("Casework quality assurance", 3, False),
      ("Customer service", 3, False)]),
    ("operational-delivery-manager", "Operational delivery manager", "G7", "G6", "",
     "Runs a service centre or district: its people, performance and budget.",
     [("Team leadership", 4, True), ("Workload planning", 4, False),
      ("Budget management", 3, False), ("Stakeholder engagement", 3, False),
      ("Performance coaching", 3, False)]),
]
LOCAL_ROLE_TITLES = {code: title for code, title, *_ in LOCAL_ROLES}
TEAM_LABELS = {code: label for code, _, _, _, label, *_ in LOCAL_ROLES}
OPS_MEMBER_ROLES = [code for code, *_rest in LOCAL_ROLES if TEAM_LABELS[code]]

# (name, roles its teams do, division name pattern, share of operational staff)
OPS_DIRECTORATES = [
    ("Universal Credit Operations",
     ["universal-credit-case-manager", "contact-centre-adviser", "decision-maker"],
     "{loc} Service Centre", 0.28),
    ("Jobcentre Network", ["work-coach", "universal-credit-case-manager"], "{loc} District", 0.22),
    ("Pensions and Disability Services",
     ["pensions-processor", "contact-centre-adviser", "decision-maker"],
     "{loc} Pension Centre", 0.16),
    ("Visas and Citizenship Casework",
     ["visa-caseworker", "contact-centre-adviser", "decision-maker"],
     "{loc} Casework Hub", 0.10),
    ("Counter Fraud and Debt", ["fraud-investigator", "debt-management-officer"],
     "{loc} Fraud and Debt Centre", 0.12),
    ("Customer Experience", ["complaints-resolution-officer", "contact-centre-adviser"],
     "{loc} Customer Resolution Centre", 0.06),
    ("Child Maintenance Service",
     ["debt-management-officer", "complaints-resolution-officer", "contact-centre-adviser"],
     "{loc} Child Maintenance Centre", 0.06),
]
# (name, share of digital staff, [(division, DDaT roles its teams do, first = main role)])
DIGITAL_DIRECTORATES = [
    ("Digital Group", 0.45, [
        ("Software Engineering", ["Software developer", "Frontend developer",
                                  "Development operations (DevOps) engineer", "Test engineer"]),
        ("Service Design", ["Service designer", "Interaction designer", "Content designer",
                            "User researcher", "Accessibility specialist", "Graphic designer"]),
        ("Product and Delivery", ["Delivery manager", "Product manager", "Business analyst",
                                  "Service owner", "Programme delivery manager",
                                  "Digital portfolio manager"]),
        ("Architecture", ["Solution architect", "Technical architect", "Enterprise architect",
                          "Business architect", "Security architect", "Network architect"]),
        ("Quality Engineering", ["Test engineer", "Quality assurance test analyst",
                                 "Test manager"]),
        ("Cyber Security", ["Security architect", "Infrastructure engineer", "Incident manager"]),
    ]),
    ("Data and Analytics", 0.25, [
        ("Data Engineering", ["Data engineer", "Analytics engineer", "Machine learning engineer"]),
        ("Data Science", ["Data scientist", "Machine learning engineer", "Data analyst"]),
        ("Analytics and Insight", ["Data analyst", "Performance analyst", "Digital evaluator"]),
        ("Data Governance", ["Data governance manager", "Data ethicist", "Data architect"]),
    ]),
    ("Technology Services", 0.30, [
        ("Service Desk", ["Service desk manager", "IT service manager"]),
        ("End User Computing", ["End user computing engineer", "Service desk manager"]),
        ("Application Operations", ["Application operations engineer", "Problem manager",
                                    "Incident manager", "Change and release manager"]),
        ("Service Operations", ["Command and control centre manager",
                                "Service transition manager", "Business relationship manager",
                                "IT service manager"]),
        ("Cloud and Infrastructure", ["Infrastructure engineer",
                                      "Infrastructure operations engineer",
                                      "Development operations (DevOps) engineer",
                                      "Network architect"]),
    ]),
]
DIGITAL_SHARE = 0.30

GRADE_WEIGHTS = {
    "ops": {"AA": 6, "AO": 40, "EO": 32, "HEO": 14, "SEO": 6, "G7": 2},
    "digital": {"AO": 2, "EO": 10, "HEO": 28, "SEO": 30, "G7": 25, "G6": 5},
}
ROLE_GRADE_WEIGHTS = {
    "contact-centre-adviser": {"AA": 10, "AO": 70, "EO": 20},
    "universal-credit-case-manager": {"AO": 55, "EO": 40, "HEO": 5},
    "work-coach": {"EO": 88, "HEO": 12},
    "decision-maker": {"EO": 60, "HEO": 40},
    "visa-caseworker": {"EO": 70, "HEO": 30},
    "fraud-investigator": {"EO": 55, "HEO": 45},
    "debt-management-officer": {"AO": 60, "EO": 40},
    "pensions-processor": {"AA": 10, "AO": 55, "EO": 35},
    "complaints-resolution-officer": {"AO": 30, "EO": 60, "HEO": 10},
}
# Where in a DDaT role's level ladder (0 = most junior, 1 = most senior) a grade usually sits.
GRADE_SENIORITY = {"AA": 0.0, "AO": 0.0, "EO": 0.15, "HEO": 0.35, "SEO": 0.55, "G7": 0.75,
                   "G6": 0.95, "SCS1": 1.0}
CLEARANCE_WEIGHTS = {
    "ops": {Clearance.NONE: 1, Clearance.BPSS: 88, Clearance.CTC: 4, Clearance.SC: 6.5,
            Clearance.DV: 0.5},
    "digital": {Clearance.BPSS: 55, Clearance.CTC: 10, Clearance.SC: 32, Clearance.DV: 3},
    "leader": {Clearance.BPSS: 40, Clearance.CTC: 10, Clearance.SC: 45, Clearance.DV: 5},
}
PART_TIME_HOURS = [Decimal(h) for h in ("18.5", "22.2", "24", "25", "29.6", "30", "32", "33.3")]
EVIDENCE = [EvidenceKind.SELF, EvidenceKind.MANAGER_VERIFIED, EvidenceKind.ASSESSED,
            EvidenceKind.CERTIFIED]
EVIDENCE_WEIGHTS = [70, 20, 7, 3]

OPS_PRIOR_TITLES = [
    "Retail assistant", "Call centre agent (private sector)", "Customer adviser (high street bank)",
    "Administrative officer (HM Revenue and Customs)", "Care worker", "Teaching assistant",
    "Hospitality supervisor", "Housing officer (local council)", "Receptionist (NHS trust)",
]
DIGITAL_PRIOR_TITLES = [
    "Software engineer (private sector)", "Web developer (agency)", "IT technician (NHS trust)",
    "Graduate analyst (consultancy)", "Research assistant (university)",
    "Systems administrator (local council)", "Data analyst (retail)", "UX designer (agency)",
]
# (name, issuer, validity in years or None)
OPS_QUALIFICATIONS = [
    ("Level 3 Certificate in Customer Service", "City & Guilds", None),
    ("Mental Health First Aid", "MHFA England", 3),
    ("Professionalism in Security (PINS)", "Counter Fraud Profession", None),
    ("Level 3 Award in Management", "Chartered Management Institute", None),
    ("British Sign Language Level 2", "Signature", None),
    ("Level 4 Certificate in Debt Advice", "Institute of Money Advisers", None),
    ("Level 3 Diploma in Advice and Guidance", "Pearson", None),
]
DIGITAL_QUALIFICATIONS = [
    ("ITIL 4 Foundation", "PeopleCert", None),
    ("PRINCE2 Foundation", "PeopleCert", None),
    ("AWS Certified Solutions Architect - Associate", "Amazon Web Services", 3),
    ("Microsoft Certified: Azure Fundamentals", "Microsoft", None),
    ("Certified ScrumMaster", "Scrum Alliance", 2),
    ("ISTQB Certified Tester Foundation Level", "ISTQB", None),
    ("Foundation Certificate in Business Analysis", "BCS", None),
    ("CISSP", "ISC2", 3),
    ("TOGAF Enterprise Architecture Foundation", "The Open Group", None),
    ("Level 4 Data Analyst apprenticeship", "Institute for Apprenticeships", None),
]

# The stewards' qualification table (DESIGN 9) for the qualifications above, so the
# demo's qualifications propose skills: (qualification, skill name, level). A DDaT skill
# name missing from the loaded framework is skipped.
QUALIFICATION_SKILLS = [
    ("ITIL 4 Foundation", "Service management framework knowledge", 2),
    ("ITIL 4 Foundation", "Incident management", 1),
    ("ITIL 4 Foundation", "Problem management", 1),
    ("PRINCE2 Foundation", "Planning", 2),
    ("PRINCE2 Foundation", "Managing decisions and risks", 1),
    ("PRINCE2 Practitioner", "Planning", 3),
    ("PRINCE2 Practitioner", "Managing decisions and risks", 2),
    ("AWS Certified Solutions Architect - Associate", "IT infrastructure", 3),
    ("AWS Certified Solutions Architect - Associate", "Systems design", 2),
    ("Microsoft Certified: Azure Fundamentals", "IT infrastructure", 1),
    ("Certified ScrumMaster", "Agile working", 3),
    ("Certified ScrumMaster", "Agile and Lean practices", 2),
    ("ISTQB Certified Tester Foundation Level", "Designing and executing tests", 2),
    ("ISTQB Certified Tester Foundation Level", "Managing, reporting and resolving defects", 2),
    ("Foundation Certificate in Business Analysis", "Requirements definition and management", 2),
    ("Foundation Certificate in Business Analysis", "Business process improvement", 1),
    ("CISSP", "Information security", 3),
    ("CISSP", "Security architecture", 2),
    ("CISSP", "Cyber risk management", 2),
    ("TOGAF Enterprise Architecture Foundation", "Enterprise architecture", 2),
    ("TOGAF Enterprise Architecture Foundation", "Business architecture", 1),
    ("Level 4 Data Analyst apprenticeship", "Data analysis and synthesis", 2),
    ("Level 4 Data Analyst apprenticeship", "Data visualisation", 2),
    ("Level 3 Certificate in Customer Service", "Customer service", 3),
    ("Level 3 Certificate in Customer Service", "Complaints handling", 2),
    ("Mental Health First Aid", "Mental health awareness", 3),
    ("Mental Health First Aid", "Safeguarding vulnerable customers", 2),
    ("Professionalism in Security (PINS)", "Fraud awareness", 3),
    ("Professionalism in Security (PINS)", "Fraud investigation", 2),
    ("Level 3 Award in Management", "Team leadership", 2),
    ("Level 3 Award in Management", "Performance coaching", 2),
    ("Level 3 Award in Management", "Workload planning", 2),
    ("Level 4 Certificate in Debt Advice", "Debt management", 3),
    ("Level 3 Diploma in Advice and Guidance", "Employment support coaching", 3),
    ("Level 3 Diploma in Advice and Guidance", "Interviewing", 2),
]

PERSON_COLUMNS = (
    "id", "staff_number", "full_name", "work_email", "grade", "org_unit_id", "line_manager_id",
    "location", "weekly_hours", "clearance", "redeployable", "protected", "available_from",
    "profile_reviewed_at", "user_id", "version", "created_at", "updated_at",
)
PERSON_SKILL_COLUMNS = (
    "person_id", "skill_id", "level", "last_used", "evidence", "verified_by_id", "verified_at",
    "note", "version", "updated_at",
)
ROLE_HISTORY_COLUMNS = ("person_id", "title", "role_profile_id", "start", "end")
QUALIFICATION_COLUMNS = ("person_id", "name", "issuer", "awarded", "expires")

# fmt: on


# --- reference data ----------------------------------------------------------------------------


def ensure_qualification_skills() -> int:
    """Add the demo's qualification-to-skills mappings that are absent (never changes a
    steward's edits to existing ones); returns how many were added."""
    from matching.normaliser import normalise

    names = {name for _, name, _ in QUALIFICATION_SKILLS}
    skill_ids: dict[str, int] = {}
    for pk, name in (
        Skill.objects.filter(name__in=names, status=SkillStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "name")
    ):
        skill_ids.setdefault(name, pk)
    held = set(QualificationSkill.objects.values_list("key", "skill_id"))
    new = []
    for qualification, name, level in QUALIFICATION_SKILLS:
        key, skill_id = normalise(qualification), skill_ids.get(name)
        if skill_id is None or (key, skill_id) in held:
            continue
        held.add((key, skill_id))
        new.append(
            QualificationSkill(qualification=qualification, key=key, skill_id=skill_id, level=level)
        )
    QualificationSkill.objects.bulk_create(new)
    return len(new)


def ensure_local_catalogue() -> None:
    """Create the local operational skills and role profiles if they are absent (never
    overwrites a steward's or planner's edits to existing ones)."""
    uris = {
        LOCAL_SKILL_URI + slugify(name): (name, kind, desc) for name, kind, desc in LOCAL_SKILLS
    }
    existing = set(Skill.objects.filter(uri__in=uris).values_list("uri", flat=True))
    Skill.objects.bulk_create(
        [
            Skill(name=name, kind=kind, description=desc, source=Source.LOCAL, uri=uri)
            for uri, (name, kind, desc) in uris.items()
            if uri not in existing
        ]
    )
    skill_ids = dict(Skill.objects.filter(uri__in=uris).values_list("uri", "id"))
    codes = [spec[0] for spec in LOCAL_ROLES]
    present = set(RoleProfile.objects.filter(code__in=codes).values_list("code", flat=True))
    new_roles = {
        code: RoleProfile(
            code=code,
            title=title,
            description=desc,
            grade_min=gmin,
            grade_max=gmax,
            role_name=title,
            source=RoleSource.LOCAL,
        )
        for code, title, gmin, gmax, _label, desc, _reqs in LOCAL_ROLES
        if code not in present
    }
    RoleProfile.objects.bulk_create(new_roles.values())
    RoleRequirement.objects.bulk_create(
        [
            RoleRequirement(
                role=new_roles[code],
                skill_id=skill_ids[LOCAL_SKILL_URI + slugify(skill)],
                level=level,
                essential=essential,
            )
            for code, *_rest, reqs in LOCAL_ROLES
            if code in new_roles
            for skill, level, essential in reqs
        ]
    )


@dataclass
class Catalogue:
    """The taxonomy and role library as plain, deterministically ordered data."""

    skill_id: dict[str, int]  # local skill name -> id
    role_id: dict[str, int]  # role code -> id
    role_title: dict[str, str]
    requirements: dict[str, list[tuple[int, int]]]  # role code -> [(skill id, level)]
    ddat_ladders: dict[str, list[str]]  # DDaT role name -> level codes, junior first
    ddat_common: list[int]  # the DDaT skills most often required, most common first


def load_catalogue() -> Catalogue:
    local_uris = {LOCAL_SKILL_URI + slugify(name): name for name, _, _ in LOCAL_SKILLS}
    skill_id = {
        local_uris[uri]: pk
        for uri, pk in Skill.objects.filter(uri__in=local_uris).values_list("uri", "id")
    }
    roles = list(
        RoleProfile.objects.filter(source=RoleSource.DDAT).values_list(
            "id", "code", "title", "role_name", "level_rank"
        )
    ) + list(
        RoleProfile.objects.filter(code__in=LOCAL_ROLE_TITLES).values_list(
            "id", "code", "title", "role_name", "level_rank"
        )
    )
    role_id = {code: pk for pk, code, *_ in roles}
    role_title = {code: title for _, code, title, *_ in roles}
    ladders: dict[str, list[tuple]] = {}
    for _, code, _, role_name, rank in roles:
        if code not in LOCAL_ROLE_TITLES:
            ladders.setdefault(role_name, []).append((rank or 0, code))
    requirements: dict[str, list[tuple[str, int, int]]] = {}
    for code, uri, sid, level in RoleRequirement.objects.filter(
        role_id__in=role_id.values()
    ).values_list("role__code", "skill__uri", "skill_id", "level"):
        requirements.setdefault(code, []).append((uri, sid, level))
    common = Counter()
    for code, reqs in requirements.items():
        if code not in LOCAL_ROLE_TITLES:
            common.update((uri, sid) for uri, sid, _ in reqs)
    return Catalogue(
        skill_id=skill_id,
        role_id=role_id,
        role_title=role_title,
        requirements={
            code: [(sid, level) for _, sid, level in sorted(reqs)]
            for code, reqs in requirements.items()
        },
        ddat_ladders={name: [c for _, c in sorted(v)] for name, v in sorted(ladders.items())},
        ddat_common=[sid for (_, sid), _ in sorted(common.items(), key=lambda kv: (-kv[1], kv[0]))][
            :25
        ],
    )


# --- the organisation ----------------------------------------------------------------------------


@dataclass(slots=True)
class Unit:
    name: str
    kind: str
    path: str
    depth: int
    parent: Unit | None = None
    location: str = ""
    digital: bool = False
    roles: list[str] = field(default_factory=list)  # local role codes or DDaT role names
    size: int = 0  # team members, for teams
    pk: int | None = None


@dataclass(slots=True)
class Member:
    """One generated person, kept for the detail pass (skills, history, qualifications)."""

    pk: int
    kind: str  # ops | digital | team_lead | division_head | director | head
    digital: bool
    grade: str
    role_code: str | None  # current role profile code
    title: str
    unit: Unit
    reviewed_at: datetime | None


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _largest_remainder(total: int, shares: list[float], minimum: int = 1) -> list[int]:
    raw = [total * s / sum(shares) for s in shares]
    counts = [max(minimum, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > total:
        j = max(range(len(counts)), key=lambda k: counts[k])
        counts[j] -= 1
    return counts


def _directorate_plan(people: int) -> list[tuple[str, float, bool, object]]:
    if people < 5_000:
        n_digital, n_ops = 2, 4
    elif people < 30_000:
        n_digital, n_ops = 3, 5
    else:
        n_digital, n_ops = 3, 7
    digital = DIGITAL_DIRECTORATES[:n_digital]
    ops = OPS_DIRECTORATES[:n_ops]
    dw = sum(d[1] for d in digital)
    ow = sum(o[3] for o in ops)
    plan = [(name, DIGITAL_SHARE * w / dw, True, divisions) for name, w, divisions in digital]
    plan += [
        (name, (1 - DIGITAL_SHARE) * w / ow, False, (roles, pattern))
        for name, roles, pattern, w in ops
    ]
    # Interleave so the tree does not read "all digital, then all operations".
    return sorted(plan, key=lambda d: d[0])


AVERAGE_TEAM = 11.5


def build_org(people: int, rng: random.Random) -> tuple[list[Unit], int]:
    """Directorates, divisions and sized teams; returns (units in tree order, leaders)."""
    plan = _directorate_plan(people)
    n_teams = max(len(plan), round(people / AVERAGE_TEAM))
    for _ in range(4):  # leaders are people too: converge on a team count that fits
        per_dir = _largest_remainder(n_teams, [share for _, share, _, _ in plan])
        divisions = [max(1, round(math.sqrt(t))) for t in per_dir]
        leaders = 1 + len(plan) + sum(divisions)
        n_teams = max(len(plan), round((people - leaders) / AVERAGE_TEAM))
    per_dir = _largest_remainder(n_teams, [share for _, share, _, _ in plan])
    divisions = [min(t, max(1, round(math.sqrt(t)))) for t in per_dir]
    leaders = 1 + len(plan) + sum(divisions)
    members = people - leaders
    if members < 8 * n_teams:
        raise DemoError(f"{people} people are too few for a believable department")
    sizes = [rng.randint(8, 15) for _ in range(n_teams)]
    diff = members - sum(sizes)
    while diff:
        i = rng.randrange(n_teams)
        step = 1 if diff > 0 else -1
        if 8 <= sizes[i] + step <= 15:
            sizes[i] += step
            diff -= step
        elif all(not 8 <= s + step <= 15 for s in sizes):
            raise DemoError(f"cannot split {members} people into teams of 8-15")

    dept = Unit(DEPARTMENT, OrgUnitKind.DEPARTMENT, DEPARTMENT, 0, location="London")
    units = [dept]
    team_sizes = iter(sizes)
    for (name, _, digital, spec), n_dir_teams, n_divs in zip(plan, per_dir, divisions, strict=True):
        directorate = Unit(
            name,
            OrgUnitKind.DIRECTORATE,
            f"{dept.path}/{name}",
            1,
            dept,
            location=rng.choice(["London", "Leeds", "Manchester", "Sheffield"]),
            digital=digital,
        )
        units.append(directorate)
        division_names: set[str] = set()
        locations = (DIGITAL_HUBS if digital else LOCATIONS)[:]
        rng.shuffle(locations)
        per_div = _largest_remainder(n_dir_teams, [1.0] * n_divs)
        for d, n_div_teams in enumerate(per_div):
            location = locations[d % len(locations)]
            if digital:
                div_name, div_roles = spec[d % len(spec)]
                if d >= len(spec):
                    div_name = f"{div_name} ({location})"
            else:
                ops_roles, pattern = spec
                div_name, div_roles = pattern.format(loc=location), ops_roles
            base, n = div_name, 1
            while div_name in division_names:
                n += 1
                div_name = f"{base} {n}"
            division_names.add(div_name)
            division = Unit(
                div_name,
                OrgUnitKind.DIVISION,
                f"{directorate.path}/{div_name}",
                2,
                directorate,
                location=location,
                digital=digital,
                roles=list(div_roles),
            )
            units.append(division)
            label_counts: Counter = Counter()
            for t in range(n_div_teams):
                if digital:
                    main = div_roles[0] if t % 2 == 0 else rng.choice(div_roles)
                    bird = TEAM_BIRDS[t % len(TEAM_BIRDS)]
                    lap = t // len(TEAM_BIRDS)
                    team_name = f"Team {bird}" + (f" {lap + 1}" if lap else "")
                    roles = [main] + [r for r in div_roles if r != main]
                else:
                    main = div_roles[t % len(div_roles)]
                    label_counts[main] += 1
                    team_name = f"{TEAM_LABELS[main]} {label_counts[main]}"
                    roles = [main] + [r for r in div_roles if r != main]
                units.append(
                    Unit(
                        team_name,
                        OrgUnitKind.TEAM,
                        f"{division.path}/{team_name}",
                        3,
                        division,
                        location=location,
                        digital=digital,
                        roles=roles,
                        size=next(team_sizes),
                    )
                )
    return units, leaders


def insert_org(units: list[Unit]) -> None:
    for depth in range(4):
        level = [u for u in units if u.depth == depth]
        objs = [
            OrgUnit(
                name=u.name,
                kind=u.kind,
                path=u.path,
                depth=u.depth,
                parent_id=u.parent.pk if u.parent else None,
            )
            for u in level
        ]
        OrgUnit.objects.bulk_create(objs, batch_size=2000)
        if any(o.pk is None for o in objs):  # backends without RETURNING
            pks = dict(OrgUnit.objects.filter(depth=depth).values_list("path", "id"))
            for u in level:
                u.pk = pks[u.path]
        else:
            for u, o in zip(level, objs, strict=True):
                u.pk = o.pk


# --- people ----------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


class Generator:
    def __init__(self, *, people: int, seed: int, catalogue: Catalogue, as_of: date):
        self.n = people
        self.seed = seed
        self.cat = catalogue
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        self.now = timezone.now()
        self.emails: Counter = Counter()
        self.members: list[Member] = []
        self.history: list[tuple] = []
        self.qualifications: list[tuple] = []
        self.person_skills = 0

    # pass 1: people -----------------------------------------------------------------------
    def people_rows(self, units: list[Unit], first_pk: int) -> list[tuple]:
        rows: list[tuple] = []
        children: dict[int, list[Unit]] = {}
        for u in units:
            if u.parent is not None:
                children.setdefault(id(u.parent), []).append(u)
        next_pk = first_pk

        def person(unit: Unit, kind: str, manager: int | None, grade: str, role_code, title):
            nonlocal next_pk
            pk = next_pk
            next_pk += 1
            rows.append(self._person_row(pk, unit, kind, manager, grade, role_code, title))
            return pk

        dept = units[0]
        head = person(dept, "head", None, "SCS1", None, "Permanent Secretary")
        for directorate in children[id(dept)]:
            director = person(
                directorate, "director", head, "SCS1", None, f"Director, {directorate.name}"
            )
            for division in children[id(directorate)]:
                code, title = self._division_head_role(division)
                div_head = person(division, "division_head", director, "G6", code, title)
                for team in children[id(division)]:
                    grade, code, title = self._team_lead_role(team)
                    lead = person(team, "team_lead", div_head, grade, code, title)
                    for _ in range(team.size - 1):
                        grade, code, title = self._member_role(team)
                        person(team, "digital" if team.digital else "ops", lead, grade, code, title)
        return rows

    def _ddat_level(self, role_name: str, grade: str, jitter: float = 0.6) -> str | None:
        ladder = self.cat.ddat_ladders.get(role_name)
        if not ladder:
            return None
        position = GRADE_SENIORITY[grade] * (len(ladder) - 1)
        index = round(position + self.rng.uniform(-jitter, jitter))
        return ladder[min(len(ladder) - 1, max(0, index))]

    def _division_head_role(self, division: Unit) -> tuple[str | None, str]:
        if division.digital:
            for role_name in division.roles:
                ladder = self.cat.ddat_ladders.get(role_name)
                if ladder:
                    code = ladder[-1]
                    return code, self.cat.role_title[code]
            return None, f"Head of {division.name}"
        return "operational-delivery-manager", LOCAL_ROLE_TITLES["operational-delivery-manager"]

    def _team_lead_role(self, team: Unit) -> tuple[str, str | None, str]:
        if team.digital:
            grade = "G7" if self.rng.random() < 0.7 else "SEO"
            code = self._ddat_level(team.roles[0], grade, jitter=0.3)
            return grade, code, self.cat.role_title.get(code, f"Lead, {team.name}")
        grade = "HEO" if self.rng.random() < 0.75 else "SEO"
        return grade, "operational-team-leader", LOCAL_ROLE_TITLES["operational-team-leader"]

    def _member_role(self, team: Unit) -> tuple[str, str | None, str]:
        rng = self.rng
        if team.digital:
            role_name = team.roles[0] if rng.random() < 0.55 else rng.choice(team.roles)
            grade = _weighted(rng, GRADE_WEIGHTS["digital"])
            code = self._ddat_level(role_name, grade)
            return grade, code, self.cat.role_title.get(code, role_name)
        code = team.roles[0] if rng.random() < 0.85 else rng.choice(OPS_MEMBER_ROLES)
        weights = ROLE_GRADE_WEIGHTS.get(code, GRADE_WEIGHTS["ops"])
        if rng.random() < 0.1:
            weights = GRADE_WEIGHTS["ops"]
        return _weighted(rng, weights), code, LOCAL_ROLE_TITLES[code]

    def _email(self, first: str, last: str) -> str:
        local = ".".join(
            "".join(ch for ch in _ascii(part).lower() if ch.isalnum()) for part in (first, last)
        )
        self.emails[local] += 1
        count = self.emails[local]
        return f"{local}{count if count > 1 else ''}@{EMAIL_DOMAIN}"

    def _person_row(self, pk, unit, kind, manager, grade, role_code, title) -> tuple:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        leader = kind not in ("ops", "digital")
        location = unit.location if rng.random() < 0.9 or kind == "head" else rng.choice(LOCATIONS)
        hours = (
            Decimal(37) if rng.random() < (0.9 if leader else 0.78) else rng.choice(PART_TIME_HOURS)
        )
        clearance = _weighted(
            rng, CLEARANCE_WEIGHTS["leader" if leader else ("digital" if unit.digital else "ops")]
        )
        redeployable = rng.random() >= (0.25 if leader else 0.14)
        protected = rng.random() < (0.2 if leader else 0.07)
        if rng.random() < 0.75:
            available_from = self.as_of - timedelta(days=rng.randint(0, 730))
        else:
            available_from = self.as_of + timedelta(days=rng.randint(1, 120))
        reviewed = None
        if rng.random() < 0.95:
            days = int(730 * rng.random() ** 1.3)
            reviewed = self.midnight - timedelta(days=days, seconds=rng.randint(0, 86_399))
        self.members.append(Member(pk, kind, unit.digital, grade, role_code, title, unit, reviewed))
        return (
            pk,
            f"P{pk:07d}",
            f"{first} {last}",
            self._email(first, last),
            grade,
            unit.pk,
            manager,
            location,
            hours,
            int(clearance),
            redeployable,
            protected,
            available_from,
            reviewed,
            None,
            1,
            self.now,
            self.now,
        )

    # pass 2: skills, role history, qualifications ------------------------------------------
    def person_skill_rows(self) -> Iterator[tuple]:
        """Streams PersonSkill rows; fills self.history and self.qualifications on the way."""
        now = self.now
        for member in self.members:
            for skill_id, (level, last_used, evidence, verified_at) in self._details(member):
                self.person_skills += 1
                yield (
                    member.pk,
                    skill_id,
                    level,
                    last_used,
                    evidence,
                    None,
                    verified_at,
                    "",
                    1,
                    now,
                )

    def _details(self, m: Member):
        rng = random.Random(self.seed * 1_000_003 + m.pk)
        cat = self.cat
        held: dict[int, tuple[int, date | None]] = {}

        def add(skill_id: int, level: int, last_used: date | None = None) -> None:
            if skill_id not in held:
                held[skill_id] = (min(4, max(1, level)), last_used)

        def delta() -> int:
            r = rng.random()
            return 0 if r < 0.62 else (-1 if r < 0.8 else (1 if r < 0.95 else -2))

        # Current role.
        for skill_id, level in cat.requirements.get(m.role_code or "", []):
            if rng.random() < 0.93:
                add(skill_id, level + delta())
        local = cat.skill_id
        if m.kind in ("head", "director"):
            for name in LEADERSHIP_SKILLS:
                add(local[name], rng.choice([3, 4, 4]))
        if m.kind in ("division_head", "team_lead") and m.digital:
            for name in ("Team leadership", "Performance coaching"):
                add(local[name], rng.choice([2, 3]))
        if m.kind == "team_lead" and not m.digital:
            for skill_id, level in cat.requirements.get(m.unit.roles[0], []):
                add(skill_id, level + rng.choice([0, 0, 1]))

        # Role history: the current role plus 0-3 earlier ones, newest first.
        start = self.as_of - timedelta(days=rng.randint(120, 8 * 365))
        self.history.append((m.pk, m.title[:255], cat.role_id.get(m.role_code), start, None))
        n_past = rng.choices([0, 1, 2, 3], weights=[30, 35, 25, 10])[0]
        code = m.role_code
        for _ in range(n_past):
            end = start - timedelta(days=rng.randint(1, 60))
            start = end - timedelta(days=rng.randint(365, 5 * 365))
            code, title = self._past_role(m, code, rng)
            self.history.append((m.pk, title[:255], cat.role_id.get(code), start, end))
            if code:
                stale = (self.as_of - end).days > 365
                reqs = cat.requirements.get(code, [])
                for skill_id, level in rng.sample(reqs, min(len(reqs), 4)):
                    add(skill_id, level - rng.choice([0, 0, 1]), end if stale else None)

        # Extras.
        if m.digital:
            pool = [
                sid
                for role_name in m.unit.roles
                for c in cat.ddat_ladders.get(role_name, [])
                for sid, _ in cat.requirements.get(c, [])
            ]
            for skill_id in rng.sample(pool, min(len(pool), rng.randint(4, 7))):
                add(skill_id, rng.choice([1, 2, 2, 3]))
            for name in rng.sample(GENERAL_SKILLS, rng.randint(1, 2)):
                add(local[name], rng.choice([2, 3]))
        else:
            for name in rng.sample(OPERATIONAL_EXTRAS, rng.randint(5, 9)):
                add(local[name], rng.choice([1, 2, 2, 3]))
            if rng.random() < 0.2 and cat.ddat_common:
                for skill_id in rng.sample(cat.ddat_common, rng.randint(1, 3)):
                    add(skill_id, rng.choice([1, 2]))
        welsh = 0.3 if m.unit.location in WELSH_LOCATIONS else 0.02
        if rng.random() < welsh:
            add(local["Welsh language"], rng.choice([2, 3, 4, 4]))
        if rng.random() < 0.012:
            add(local["British Sign Language"], rng.choice([2, 3, 4]))
        if rng.random() < 0.06:
            add(local[rng.choice(LANGUAGE_SKILLS)], rng.choice([3, 4, 4]))
        if not held:  # everyone holds something
            add(local["Customer service"], 2)

        # Qualifications.
        options = DIGITAL_QUALIFICATIONS if m.digital else OPS_QUALIFICATIONS
        if rng.random() < (0.4 if m.digital else 0.22):
            for name, issuer, years in rng.sample(options, rng.randint(1, 2)):
                awarded = self.as_of - timedelta(days=rng.randint(30, 10 * 365))
                expires = add_months(awarded, 12 * years) if years else None
                self.qualifications.append((m.pk, name, issuer, awarded, expires))

        # Evidence and recency, in the (deterministic) order the skills were added.
        for skill_id, (level, last_used) in held.items():
            if last_used is None and rng.random() < 0.04:
                last_used = self.as_of - timedelta(days=rng.randint(365, 6 * 365))
            evidence = rng.choices(EVIDENCE, weights=EVIDENCE_WEIGHTS)[0]
            verified_at = None
            if evidence != EvidenceKind.SELF:
                verified_at = self.midnight - timedelta(
                    days=rng.randint(0, 730), seconds=rng.randint(0, 86_399)
                )
            yield skill_id, (level, last_used, str(evidence), verified_at)

    def _past_role(self, m: Member, code: str | None, rng: random.Random):
        cat = self.cat
        if m.digital and code in cat.role_title and rng.random() < 0.65:
            for ladder in cat.ddat_ladders.values():
                if code in ladder:
                    i = ladder.index(code)
                    if i > 0:
                        lower = ladder[i - 1]
                        return lower, cat.role_title[lower]
        if m.kind == "division_head" and not m.digital:
            return "operational-team-leader", LOCAL_ROLE_TITLES["operational-team-leader"]
        if m.kind in ("head", "director"):
            return None, rng.choice(["Deputy Director", "Director", "Chief Operating Officer"]) + (
                f", {rng.choice(OPS_DIRECTORATES)[0]}"
            )
        if m.digital:
            if rng.random() < 0.25:
                past = rng.choice(OPS_MEMBER_ROLES)
                return past, LOCAL_ROLE_TITLES[past]
            return None, rng.choice(DIGITAL_PRIOR_TITLES)
        if rng.random() < 0.7:
            past = rng.choice([r for r in OPS_MEMBER_ROLES if r != code])
            return past, LOCAL_ROLE_TITLES[past]
        return None, rng.choice(OPS_PRIOR_TITLES)


# --- orchestration -----------------------------------------------------------------------------


@dataclass
class SeedResult:
    people: int = 0
    org_units: int = 0
    person_skills: int = 0
    role_history: int = 0
    qualifications: int = 0
    seconds: float = 0.0
    seeded: bool = True
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # role, user, pw, person
    timings: list[tuple[str, float]] = field(default_factory=list)


def reset_demo_data() -> None:
    """Delete all people and organisation data, surge scenarios (their allocations point at
    people) and the demo logins (unless the audit log names them as actors)."""
    referenced = AccessEvent.objects.filter(subject__isnull=False).count()
    if referenced:
        raise DemoError(
            f"{referenced} audit event(s) refer to people, and the audit log is append-only, so "
            "--reset cannot remove them. Start from a fresh database instead (for the default "
            "SQLite database: delete var/muster.sqlite3, then run migrate)."
        )
    SurgeScenario.objects.all().delete()
    for model in (PersonSkill, RoleHistory, Qualification):
        _empty_table(model)
    _delete_all_people()
    for depth in sorted(set(OrgUnit.objects.values_list("depth", flat=True)), reverse=True):
        OrgUnit.objects.filter(depth=depth).delete()
    User = get_user_model()
    acting = set(
        AccessEvent.objects.filter(actor__username__in=DEMO_USERNAMES).values_list(
            "actor__username", flat=True
        )
    )
    User.objects.filter(username__in=set(DEMO_USERNAMES) - acting).delete()


# Everything that points at Person and is emptied (or checked empty) before people go.
_PERSON_DEPENDANTS_HANDLED = {
    PersonSkill,
    RoleHistory,
    Qualification,
    Allocation,
    AccessEvent,
    Person,
}


def _empty_table(model) -> None:
    """Empty a table nothing points at: TRUNCATE on PostgreSQL (instant, and leaves no dead
    rows behind to slow the reload), a single DELETE elsewhere."""
    if connection.vendor == "postgresql" and not model._meta.related_objects:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(model._meta.db_table)}")
    else:
        model.objects.all().delete()


def _delete_all_people() -> None:
    dependants = {rel.related_model for rel in Person._meta.related_objects}
    if dependants <= _PERSON_DEPENDANTS_HANDLED:
        # One statement instead of the ORM collector's 100k-object walk; foreign keys still
        # guard the result at commit.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Person._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's own table name)
    else:  # a model we do not know points at people: let the ORM apply its on_delete rules
        Person.objects.update(line_manager=None)
        Person.objects.all().delete()


def _pick_person(username: str, taken: set[int], manager_person: Person | None) -> Person | None:
    """A person for a demo login: the manager leads an operational team, staff is one of
    the manager's reports, the others sit in teams of their own where that is possible."""
    free = Person.objects.filter(user__isnull=True).exclude(pk__in=taken).order_by("staff_number")
    fragment, grades = DEMO_PERSON_PLACES.get(username, ("", []))
    if username == "manager":
        manages = Person.objects.filter(line_manager=OuterRef("pk"))
        leads = free.filter(Exists(manages), org_unit__depth=3)
        return leads.filter(org_unit__path__contains=fragment).first() or leads.first()
    if username == "staff" and manager_person is not None:
        person = free.filter(line_manager=manager_person).first()
        if person:
            return person
    used_units = Person.objects.filter(pk__in=taken).values("org_unit_id")
    manages = Person.objects.filter(line_manager=OuterRef("pk"))
    members = (
        free.filter(org_unit__depth=3).exclude(org_unit_id__in=used_units).exclude(Exists(manages))
    )
    for queryset in (members.filter(org_unit__path__contains=fragment), members):
        for grade in grades:
            person = queryset.filter(grade=grade).first()
            if person:
                return person
    return free.first()


def ensure_demo_users(password: str | None = None) -> list[tuple[str, str, str, str]]:
    """Create or refresh the demo logins with new passwords; link each to a person."""
    User = get_user_model()
    logins = {}
    taken: set[int] = set()
    manager_person = None
    # The manager first, so that "staff" can be one of the manager's reports.
    for username, roles in sorted(DEMO_USERS, key=lambda item: item[0] != "manager"):
        secret = password or new_password()
        existing = User.objects.filter(username=username).first()
        person = Person.objects.filter(user=existing).first() if existing else None
        if person is None:
            person = _pick_person(username, taken, manager_person)
        first, _, last = person.full_name.partition(" ") if person else ("", "", "")
        user = user_create_with_roles(
            username=username,
            password=secret,
            roles=set(roles),
            email=person.work_email if person else "",
            first_name=first,
            last_name=last,
        )
        if person is not None:
            if person.user_id != user.pk:
                Person.objects.filter(pk=person.pk).update(user=user)
            taken.add(person.pk)
            if username == "manager":
                manager_person = person
        label = f"{person.full_name} ({person.staff_number})" if person else "-"
        logins[username] = (ROLE_LABELS[DEMO_MAIN_ROLE[username]], username, secret, label)
    return [logins[username] for username in DEMO_USERNAMES]


def seed_demo(
    *,
    people: int,
    seed: int,
    reset: bool = False,
    password: str | None = None,
    as_of: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Build the demo department (see module doc). Without ``reset``, an existing workforce
    is kept and only the demo logins are refreshed."""
    if people < MIN_PEOPLE:
        raise DemoError(f"--people must be at least {MIN_PEOPLE}")
    say = progress or (lambda message: None)
    result = SeedResult()
    started = time.perf_counter()
    mark = started

    def lap(label: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        result.timings.append((label, now - mark))
        say(f"  {label}: {now - mark:.1f}s")
        mark = now

    with transaction.atomic():
        if not reset and Person.objects.exists():
            result.seeded = False
            result.people = Person.objects.count()
            result.logins = ensure_demo_users(password)
            result.seconds = time.perf_counter() - started
            return result
        if not Skill.objects.filter(source=Source.DDAT).exists():
            from taxonomy.importers.ddat import import_ddat

            say("  no DDaT skills yet: importing the DDaT framework first")
            import_ddat()
            lap("DDaT import")
        ensure_local_catalogue()
        ensure_qualification_skills()
        catalogue = load_catalogue()
        generator = Generator(
            people=people, seed=seed, catalogue=catalogue, as_of=as_of or timezone.localdate()
        )
        units, _leaders = build_org(people, generator.rng)  # fails early if N is unworkable

        loaded = (Person, PersonSkill, RoleHistory, Qualification)
        with foreign_keys_suspended(*loaded), indexes_suspended(*loaded):
            if reset:
                reset_demo_data()
                lap("reset")
            insert_org(units)
            result.org_units = len(units)
            lap(f"organisation ({len(units)} units)")

            first_pk = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            rows = generator.people_rows(units, first_pk)
            lap("generate people")
            result.people = insert_rows(Person, PERSON_COLUMNS, rows)
            del rows
            lap(f"insert people ({result.people})")
            result.person_skills = insert_rows(
                PersonSkill, PERSON_SKILL_COLUMNS, generator.person_skill_rows()
            )
            lap(f"generate and insert person skills ({result.person_skills})")
            result.role_history = insert_rows(RoleHistory, ROLE_HISTORY_COLUMNS, generator.history)
            result.qualifications = insert_rows(
                Qualification, QUALIFICATION_COLUMNS, generator.qualifications
            )
            lap(
                f"insert role history ({result.role_history}) and qualifications "
                f"({result.qualifications})"
            )
        reset_sequences(Person)
        if connection.vendor == "postgresql":
            lap("indexes rebuilt, foreign keys checked")
            analyze(OrgUnit, Person, PersonSkill, RoleHistory, Qualification)
            lap("analyze")
        result.logins = ensure_demo_users(password)
        lap("demo logins")
        workforce_changed(ChangeScope.ALL)
    lap("commit")
    result.seconds = time.perf_counter() - started
    return result
