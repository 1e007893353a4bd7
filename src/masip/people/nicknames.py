"""Common English given names and the short or familiar forms people use for them.

Written for masip from general knowledge of English naming. Each line is a formal name and
its usual familiar forms; a name can appear under several formal names (Bert: Albert,
Herbert, Robert), and matching treats every listed form as a possible match for the others.
"""

from __future__ import annotations

from functools import lru_cache

FORMS: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "gail"),
    "albert": ("al", "bert", "bertie"),
    "alexander": ("alex", "alec", "sandy", "xander", "alistair"),
    "alexandra": ("alex", "alexa", "sandra", "sandy", "lexi"),
    "alfred": ("alf", "alfie", "fred"),
    "andrew": ("andy", "drew"),
    "angela": ("angie",),
    "anthony": ("tony", "ant"),
    "arthur": ("art", "artie"),
    "barbara": ("barb", "babs", "barbie"),
    "benjamin": ("ben", "benji", "benny"),
    "bernard": ("bernie",),
    "beverley": ("bev",),
    "bradley": ("brad",),
    "catherine": ("cath", "cathy", "kate", "katie", "kath", "kathy", "cat"),
    "katherine": ("kath", "kathy", "kate", "katie", "kat", "kay"),
    "charles": ("charlie", "chas", "chuck", "chaz"),
    "charlotte": ("lottie", "charlie", "lotte"),
    "christine": ("chris", "chrissie", "tina"),
    "christopher": ("chris", "kit", "topher"),
    "clifford": ("cliff",),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy", "davie"),
    "deborah": ("debbie", "deb", "debs"),
    "dennis": ("den",),
    "donald": ("don", "donny"),
    "dorothy": ("dot", "dotty", "dolly"),
    "douglas": ("doug", "dougie"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "edwin": ("ed", "eddie"),
    "eleanor": ("ellie", "nell", "nora", "elle"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "bess", "eliza", "libby", "lisa", "elsie"),
    "emily": ("em", "emmy", "millie"),
    "emma": ("em", "emmy"),
    "frances": ("fran", "frankie", "fanny"),
    "francis": ("frank", "fran", "frankie"),
    "frederick": ("fred", "freddie", "freddy"),
    "gabriel": ("gabe",),
    "gareth": ("gaz", "gary"),
    "geoffrey": ("geoff", "jeff"),
    "jeffrey": ("jeff",),
    "gerald": ("gerry", "jerry", "ged"),
    "gillian": ("gill", "jill", "gilly"),
    "gordon": ("gordy",),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "harriet": ("hattie", "harry"),
    "henry": ("harry", "hal", "hank"),
    "herbert": ("herb", "bert"),
    "isabel": ("izzy", "bella", "isa"),
    "isabella": ("izzy", "bella"),
    "jacqueline": ("jackie", "jacqui"),
    "james": ("jim", "jimmy", "jamie", "jimbo"),
    "janet": ("jan",),
    "jennifer": ("jen", "jenny", "jenna"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny", "johnny"),
    "joseph": ("joe", "joey", "jo"),
    "josephine": ("jo", "josie", "jojo"),
    "joshua": ("josh",),
    "judith": ("judy", "jude"),
    "kenneth": ("ken", "kenny"),
    "kimberley": ("kim",),
    "lawrence": ("larry", "laurie", "lol"),
    "leonard": ("len", "lenny", "leo"),
    "louise": ("lou", "lulu"),
    "lucinda": ("lucy", "cindy"),
    "margaret": ("maggie", "meg", "peggy", "marge", "margie", "maisie", "madge", "greta", "rita"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "mickey", "mikey", "mich"),
    "nathan": ("nate", "nat"),
    "nathaniel": ("nat", "nate", "nathan"),
    "nicholas": ("nick", "nicky", "nico"),
    "nicola": ("nicky", "nikki", "nic"),
    "oliver": ("ollie", "olly"),
    "pamela": ("pam",),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "philip": ("phil", "pip"),
    "phillip": ("phil",),
    "rebecca": ("becky", "becca", "bex"),
    "richard": ("rich", "rick", "ricky", "dick", "richie"),
    "robert": ("rob", "bob", "bobby", "robbie", "bert", "robin"),
    "roberta": ("bobbie", "robbie"),
    "ronald": ("ron", "ronnie"),
    "rosemary": ("rose", "rosie"),
    "samantha": ("sam", "sammy"),
    "samuel": ("sam", "sammy"),
    "sarah": ("sally", "sadie", "sal"),
    "stephanie": ("steph", "stevie"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "stuart": ("stu",),
    "susan": ("sue", "suzie", "susie"),
    "suzanne": ("sue", "suzie"),
    "terence": ("terry", "tel"),
    "theodore": ("theo", "ted", "teddy"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vikki", "tori", "vic"),
    "vincent": ("vince", "vinny"),
    "walter": ("walt", "wally"),
    "william": ("will", "bill", "billy", "willie", "liam"),
    "zachary": ("zach", "zac"),
}


@lru_cache(maxsize=1)
def _equivalents() -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for formal, familiar in FORMS.items():
        members = {formal, *familiar}
        for name in members:
            groups.setdefault(name, set()).update(members)
    return {name: frozenset(others - {name}) for name, others in groups.items()}


def forms_of(name: str) -> frozenset[str]:
    """Every listed form that may be the same given name (normalised, without `name` itself)."""
    return _equivalents().get(name, frozenset())


def pair_count() -> int:
    """How many formal/familiar pairs the list holds."""
    return sum(len(familiar) for familiar in FORMS.values())
