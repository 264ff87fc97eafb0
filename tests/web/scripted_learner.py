"""A scripted learner: a bot that tries to pass quizzes without reading, through nothing but the pages (HTML) and
the JSON API, as a script run by a learner would. It never looks at the database or the content files; the tests
that drive it check what it saw against the database.

Strategies (what a bot can do with what is shown): cues in the wording (the longest option, "False", ticking most
options), position (the first choice), the choice ids (the smallest), the question's key (the words it shares with
an option), and chance."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

SINGLE, MULTIPLE, TRUE_FALSE = "single", "multiple", "true_false"


class PageParser(HTMLParser):
    """What a script reads off a page: forms and their fields, labels, text, and the classes used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}
        self.classes: set[str] = set()
        self.text_parts: list[str] = []
        self.review: list[dict[str, Any]] = []  # one per reviewed question: {"right": bool, "prompt": str}
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._in_review_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        self.classes.update(classes)
        if tag == "form":
            self.forms.append(
                {"action": attributes.get("action", ""), "method": attributes.get("method", "get"), "fields": []}
            )
        elif tag in ("input", "textarea", "button") and self.forms:
            self.forms[-1]["fields"].append({"tag": tag, **attributes})
        elif tag == "label":
            self._label_for, self._label_text = attributes.get("for"), []
        elif tag == "li" and "review-item" in classes:
            self.review.append({"right": "is-right" in classes, "prompt": ""})
        elif tag == "h3" and self.review:
            self._in_review_heading = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        elif tag == "h3":
            self._in_review_heading = False

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._label_for is not None:
            self._label_text.append(data)
        if self._in_review_heading:
            self.review[-1]["prompt"] += data.strip()

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def form_posting_to(self, fragment: str) -> dict[str, Any] | None:
        return next((f for f in self.forms if fragment in f["action"] and f["method"].lower() == "post"), None)

    def form_with(self, field_name: str) -> dict[str, Any] | None:
        return next((f for f in self.forms if any(x.get("name") == field_name for x in f["fields"])), None)


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def csrf_token(form: dict[str, Any]) -> str:
    return next((f.get("value", "") for f in form["fields"] if f.get("name") == "csrf_token"), "")


@dataclass
class Question:
    """A question as a page or the API shows it."""

    key: str
    kind: str
    prompt: str
    choices: list[tuple[str, str]]  # (choice id, text) in the order shown


def memory_key(question: Question) -> str:
    """How a bot recognises a question it met before: ids are random per attempt, so by what it reads — the prompt
    (API), or the choices' texts (pages, where the bot reads only the form). True/false items read on a page all
    look alike: they get a key of their own that nothing else shares."""
    if question.prompt:
        return question.prompt
    texts = sorted(text for _cid, text in question.choices)
    return "|".join(texts) if texts != ["False", "True"] else f"unknown:{question.key}"


@dataclass
class Seen:
    """One attempt as the bot saw it, from start to review."""

    attempt_id: int
    via: str  # "page" or "api"
    course: str
    module: str
    pass_mark: int
    questions: list[Question]
    answers: dict[str, list[str]] = field(default_factory=dict)
    passed: bool | None = None
    correct: int | None = None
    review: list[bool | None] = field(default_factory=list)  # per question: right, wrong or not shown
    result_html: str = ""
    result_json: dict[str, Any] = field(default_factory=dict)
    saw_correct_choices: bool = False  # anything marked as the right answer in the review


Strategy = Callable[[Question, random.Random], list[str]]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def _by_length(question: Question) -> list[str]:
    return [cid for cid, _text in sorted(question.choices, key=lambda c: len(c[1]), reverse=True)]


def cues(question: Question, rng: random.Random) -> list[str]:
    """ "False" for a statement, the longest option for one answer, every option but the shortest for several."""
    if question.kind == TRUE_FALSE:
        return [cid for cid, text in question.choices if text == "False"]
    ranked = _by_length(question)
    return ranked[:1] if question.kind == SINGLE else ranked[:-1]


def first_choice(question: Question, rng: random.Random) -> list[str]:
    return [question.choices[0][0]]


def smallest_id(question: Question, rng: random.Random) -> list[str]:
    ids = sorted(cid for cid, _text in question.choices)
    return ids[:1] if question.kind != MULTIPLE else ids[: max(1, len(ids) // 2)]


def key_words(question: Question, rng: random.Random) -> list[str]:
    """The option sharing most words with the question's key (content files name questions, and a name may hint)."""
    key = _words(question.key.replace("-", " ")) - _words(question.prompt)
    scored = sorted(question.choices, key=lambda c: len(key & _words(c[1])), reverse=True)
    if question.kind != MULTIPLE:
        return [scored[0][0]]
    hits = [cid for cid, text in question.choices if key & _words(text)]
    return hits or [scored[0][0]]


def at_random(question: Question, rng: random.Random) -> list[str]:
    ids = [cid for cid, _text in question.choices]
    if question.kind != MULTIPLE:
        return [rng.choice(ids)]
    while True:  # a non-empty subset that is not every option
        picked = [cid for cid in ids if rng.random() < 0.5]
        if 0 < len(picked) < len(ids):
            return picked


STRATEGIES: dict[str, Strategy] = {
    "cues": cues,
    "first choice": first_choice,
    "smallest id": smallest_id,
    "key words": key_words,
    "random": at_random,
}


class ScriptedLearner:
    """Drives a Flask test client like a script would: sign in through the form, find quizzes through the API,
    start and submit attempts through the pages or the API, read the results and reviews."""

    def __init__(self, client, api_client, strategy: Strategy, rng: random.Random) -> None:
        self.client = client  # the browser: session cookie, forms with their CSRF tokens
        self.api_client = api_client  # the script's HTTP client: no cookies, the bearer token only
        self.strategy = strategy
        self.rng = rng
        self.token: str | None = None  # the API's bearer token
        self.csrf = ""  # the session's CSRF token, as the forms carry it
        self.memory: dict[str, dict[str, bool]] = {}  # question text -> {choice text chosen: right}

    # -- signing in and finding quizzes --------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> None:
        form = parse(self.client.get("/login").get_data(as_text=True)).form_with("password")
        response = self.client.post(
            "/login", data={"csrf_token": csrf_token(form), "email": email, "password": password}
        )
        assert response.status_code == 302, response.status_code

    def create_api_token(self) -> None:
        page = parse(self.client.get("/account/").get_data(as_text=True))
        form = page.form_posting_to("/account/tokens")
        response = self.client.post("/account/tokens", data={"csrf_token": csrf_token(form), "name": "script"})
        assert response.status_code == 201, response.status_code
        self.token = re.search(r'<code class="token">([^<]+)</code>', response.get_data(as_text=True)).group(1)
        self.csrf = csrf_token(form)

    def api(self, method: str, path: str, body: Any = None):
        return self.api_client.open(
            f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {self.token}"}
        )

    def quizzes(self) -> list[tuple[str, str, int]]:
        """(course, module, pass mark) of every quiz the API lists."""
        courses = self.api("GET", "/courses").get_json()["courses"]
        return [(c["slug"], m["slug"], m["quiz"]["pass_mark"]) for c in courses for m in c["modules"] if m["quiz"]]

    # -- one attempt -------------------------------------------------------------------------------------------

    def start_on_page(self, course: str, module: str):
        """Press the quiz page's Start button; the response (a redirect to the attempt, or back with a message).
        The form's CSRF token is the session's: once read off a page, a script keeps it."""
        if not self.csrf:
            page = parse(self.client.get(f"/courses/{course}/modules/{module}/quiz").get_data(as_text=True))
            self.csrf = self.any_csrf_token(page)
        return self.client.post(f"/courses/{course}/modules/{module}/quiz/start", data={"csrf_token": self.csrf})

    def any_csrf_token(self, page: PageParser) -> str:
        return next((csrf_token(f) for f in page.forms if csrf_token(f)), "")

    def attempt_on_page(self, course: str, module: str, pass_mark: int) -> Seen:
        response = self.start_on_page(course, module)
        assert response.status_code == 302, response.status_code
        path = urlsplit(response.headers["Location"]).path
        assert path.startswith("/attempts/"), path
        page = parse(self.client.get(path).get_data(as_text=True))
        form = page.form_posting_to(path)
        questions = self._questions_on_page(page, form)
        seen = Seen(int(path.rsplit("/", 1)[1]), "page", course, module, pass_mark, questions)
        self.answer(seen)
        data: dict[str, Any] = {"csrf_token": csrf_token(form)}
        data.update({f"q-{key}": ids for key, ids in seen.answers.items()})
        submitted = self.client.post(path, data=data)
        assert submitted.status_code == 302, submitted.status_code
        self.read_result_page(seen)
        return seen

    def _questions_on_page(self, page: PageParser, form: dict[str, Any]) -> list[Question]:
        questions: dict[str, Question] = {}
        for input_ in form["fields"]:
            name = input_.get("name", "")
            if not name.startswith("q-"):
                continue
            text = page.labels.get(input_.get("id", ""), "")
            question = questions.setdefault(
                name[2:], Question(name[2:], MULTIPLE if input_.get("type") == "checkbox" else SINGLE, "", [])
            )
            question.choices.append((input_["value"], text))
        for question in questions.values():
            if question.kind == SINGLE and sorted(t for _i, t in question.choices) == ["False", "True"]:
                question.kind = TRUE_FALSE
        return list(questions.values())

    def read_result_page(self, seen: Seen) -> None:
        html = self.client.get(f"/attempts/{seen.attempt_id}").get_data(as_text=True)
        page = parse(html)
        seen.result_html = html
        seen.passed = "result-pass" in page.classes
        seen.correct = int(re.search(r"(\d+) of (\d+) correct", page.text).group(1))
        seen.review = [item["right"] for item in page.review] or [None] * len(seen.questions)
        seen.saw_correct_choices = bool({"choice-correct", "tag-correct"} & page.classes)
        self._remember(seen)

    def attempt_by_api(self, course: str, module: str, pass_mark: int) -> Seen:
        started = self.api("POST", f"/courses/{course}/modules/{module}/attempts")
        assert started.status_code == 201, started.get_json()
        body = started.get_json()
        questions = [
            Question(q["key"], q["kind"], q["prompt"], [(c["id"], c["text"]) for c in q["choices"]])
            for q in body["questions"]
        ]
        seen = Seen(body["id"], "api", course, module, pass_mark, questions)
        self.answer(seen)
        result = self.api("POST", f"/attempts/{seen.attempt_id}/submit", {"answers": seen.answers})
        assert result.status_code == 200, result.get_json()
        self.read_result_json(seen, result.get_json())
        return seen

    def read_result_json(self, seen: Seen, result: dict[str, Any]) -> None:
        seen.result_json = result
        seen.passed, seen.correct = result["passed"], result["correct"]
        reviewed = {q["key"]: q for q in result["questions"]}
        seen.review = [reviewed[q.key]["correct"] if q.key in reviewed else None for q in seen.questions]
        seen.saw_correct_choices = any("correct" in c for q in result["questions"] for c in q.get("choices") or [])
        self._remember(seen)

    def answer(self, seen: Seen) -> None:
        """The strategy's pick, unless an earlier review said how a choice fared (a question seen before)."""
        for question in seen.questions:
            known = self.memory.get(memory_key(question), {})
            right = [cid for cid, text in question.choices if known.get(text) is True]
            wrong = {cid for cid, text in question.choices if known.get(text) is False}
            if right:
                seen.answers[question.key] = right
                continue
            picked = self.strategy(question, self.rng)
            if wrong & set(picked) and question.kind != MULTIPLE:
                others = [cid for cid, _text in question.choices if cid not in wrong]
                picked = [self.rng.choice(others)] if others else picked
            seen.answers[question.key] = picked

    def _remember(self, seen: Seen) -> None:
        """What the review told about the choices picked (single answers only: right or wrong says it all)."""
        for question, right in zip(seen.questions, seen.review, strict=True):
            if right is None or question.kind == MULTIPLE:
                continue
            texts = dict(question.choices)
            for cid in seen.answers[question.key]:
                self.memory.setdefault(memory_key(question), {})[texts[cid]] = right
