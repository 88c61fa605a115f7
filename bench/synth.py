"""A synthetic corpus of real-looking court filings, made from the project's own documents.

Paragraphs of the real filings are recombined under new captions, parties, dockets, dates and
headings, with page breaks falling inside sentences as in the real text conversions. Seeded, so
every run builds the same corpus.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["2021-06-14-order-denying-preliminary-injunction.txt",
           "2022-02-15-plaintiffs-reply-rule-72a-objections.txt"]
PARTIES = ["Acme Biometrics, Inc.", "Northwind Analytics LLC", "Faceplate Corp.", "Vantage Vision Co.",
           "Orbit Imaging, Inc.", "Keystone Data Systems", "Lumen Identity LLC", "Harbor Recognition Inc."]
JUDGES = ["Sharon Johnson Coleman", "Matthew F. Kennelly", "Virginia M. Kendall", "John Z. Lee",
          "Rebecca R. Pallmeyer", "Elaine E. Bucklo"]
HEADINGS = ["BACKGROUND", "LEGAL STANDARD", "DISCUSSION", "ARGUMENT", "ANALYSIS"]
SUBHEADINGS = ["A. Likelihood of Success on the Merits", "B. Irreparable Harm", "C. Balance of Harms",
               "D. Proportionality Under Rule 26(b)(1)", "E. Waiver", "F. Good Cause for a Protective Order"]


def paragraphs() -> list[str]:
    out = []
    for name in SOURCES:
        text = (ROOT / "corpus" / name).read_text(encoding="utf-8")
        for para in re.split(r"\n\s*\n", text):
            words = para.split()
            if len(words) >= 40 and not para.lstrip().startswith(("#", "**", "<sup>", "¹")):
                out.append(" ".join(words))
    return out


def filing(rng: random.Random, paras: list[str], i: int, n_paras: int) -> str:
    party = rng.choice(PARTIES)
    judge = rng.choice(JUDGES)
    year = rng.randint(2018, 2024)
    docket = f"1:{year % 100:02d}-cv-{rng.randint(100, 9999):05d}"
    kind = rng.choice(["MEMORANDUM OPINION AND ORDER", "PLAINTIFFS' MOTION TO COMPEL",
                       "DEFENDANTS' RESPONSE IN OPPOSITION", "ORDER"])
    lines = ["UNITED STATES DISTRICT COURT", "FOR THE NORTHERN DISTRICT OF ILLINOIS", "EASTERN DIVISION", "",
             f"In re {party} Biometric Privacy Litigation", f"Case No. {docket}", f"Judge {judge}", "",
             kind, ""]
    body = []
    for h in range(rng.randint(2, 4)):
        body.append(HEADINGS[h % len(HEADINGS)])
        for s in rng.sample(SUBHEADINGS, 2):
            body.append(s)
            for _ in range(max(1, n_paras // 6)):
                p = rng.choice(paras).replace("Clearview", party.split()[0])
                if rng.random() < 0.3:                    # a page break inside a sentence
                    words = p.split()
                    cut = rng.randint(5, len(words) - 5)
                    p = " ".join(words[:cut]) + "\n\n" + " ".join(words[cut:]).lower()[:1] + \
                        " ".join(words[cut:])[1:]
                body.append(p)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    tail = ["IT IS SO ORDERED.", "", f"Date: {month}/{day}/{year}", "", judge.upper(), "United States District Judge"]
    return "\n".join(lines) + "\n" + "\n\n".join(body) + "\n\n" + "\n".join(tail) + "\n"


def build(dest: Path, chunks: int = 10_000, seed: int = 7) -> Path:
    """Write about ``chunks`` chunks' worth of filings into ``dest`` (about 23 chunks a file)."""
    rng = random.Random(seed)
    paras = paragraphs()
    dest.mkdir(parents=True, exist_ok=True)
    n_files = max(1, round(chunks / 23))     # about 23 chunks a file
    for i in range(n_files):
        (dest / f"filing-{i:05d}.txt").write_text(filing(rng, paras, i, 24), encoding="utf-8")
    return dest
