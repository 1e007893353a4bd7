"""masip's own screening questions, kept as data.

Written for masip in plain words around the risk themes practitioners screen for (see
DOMAIN.md section 2); no licensed instrument's item text. A screening stores the set's id and
version with its answers, so a later edit to the wording never changes what an old answer
meant: change the wording, bump the version. More "yes" answers suggest higher concern, but
there is no cut-off and no score replaces the screener's judgement.
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWERS = ("yes", "no", "unknown")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    theme: str


@dataclass(frozen=True)
class QuestionSet:
    id: str
    version: int
    title: str
    questions: tuple[Question, ...]

    def question_ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions)


MASIP_SCREENING_V1 = QuestionSet(
    id="masip-screening",
    version=1,
    title="masip stalking screening questions",
    questions=(
        Question("fear", "Is the victim very frightened of what the suspect might do next?", "fear"),
        Question(
            "prior_history",
            "Has the suspect pursued or harassed the victim, or anyone else, before this episode?",
            "prior history",
        ),
        Question("property", "Has the suspect damaged, taken or interfered with the victim's belongings?", "property"),
        Question(
            "visits",
            "Does the suspect keep turning up where the victim lives, works or spends time?",
            "visits",
        ),
        Question(
            "loitering",
            "Has the suspect been seen waiting, watching or hanging around near the victim?",
            "loitering",
        ),
        Question(
            "threats",
            "Has the suspect threatened to hurt or kill the victim, themselves or someone close to the victim?",
            "threats",
        ),
        Question(
            "third_parties",
            "Has the suspect contacted, pressured or harmed the victim's family, friends, colleagues or pets?",
            "third parties",
        ),
        Question("violence", "Has the suspect used any physical or sexual violence in this episode?", "violence"),
        Question(
            "recruiting_others",
            "Has the suspect got other people to follow, contact or find out about the victim?",
            "recruiting others",
        ),
        Question(
            "substance_misuse",
            "Does the suspect misuse alcohol or drugs, as far as anyone knows?",
            "substance misuse",
        ),
        Question(
            "violent_history",
            "Is the suspect known to have been violent towards anyone in the past?",
            "violent history",
        ),
        Question(
            "weapons",
            "Does the suspect have, or talk about getting, a weapon or the means to seriously harm someone?",
            "weapons",
        ),
    ),
)

CURRENT_QUESTION_SET = MASIP_SCREENING_V1
QUESTION_SETS = {(s.id, s.version): s for s in (MASIP_SCREENING_V1,)}
