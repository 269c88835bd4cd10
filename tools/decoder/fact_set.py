"""Renders the country facts of `countries-list` as prompts and continuations.

Five relations (capital, continent, currency, language, calling code), each with a TRAINING template (the prompts
the decoder is trained on for the trained countries, and the prompts streamed in the experiment) and a HOLDOUT
template (a rephrasing never trained on, to measure whether an edit generalises). A continuation is the true
value followed by " ." so that an exact match also checks where the answer stops.
"""

import json
import os
import random

RELATIONS = [
    # name, training template, holdout template
    ("capital", "The capital of {country} is", "{country}'s capital city is"),
    ("continent", "{country} lies on the continent of", "{country} is a place in"),
    ("currency", "The currency of {country} is the", "In {country} people pay with the"),
    ("language", "The official language of {country} is", "In {country} people speak"),
    ("calling-code", "The calling code of {country} is", "To telephone {country} you dial"),
]
TRAINED_FRACTION = 0.45


def read_countries(countries_directory):
    def read(name):
        with open(os.path.join(countries_directory, name), encoding="utf-8") as file:
            return json.load(file)

    return read("countries.min.json"), read("continents.min.json"), read("currencies.min.json"), read(
        "languages.min.json"
    )


def relation_values(country, continents, currencies, languages):
    values = {
        "capital": country.get("capital") or None,
        "continent": continents.get(country.get("continent")),
        "currency": currencies[country["currency"][0]]["name"] if country.get("currency") else None,
        "language": languages[country["languages"][0]]["name"] if country.get("languages") else None,
        "calling-code": " ".join(str(country["phone"][0])) if country.get("phone") else None,
    }
    return values


def build_facts(countries_directory, seed):
    """Returns (facts, trained_codes): one record per (country, relation) with a value, sorted by code, relation."""
    countries, continents, currencies, languages = read_countries(countries_directory)
    codes = sorted(countries)
    shuffled = list(codes)
    random.Random(seed).shuffle(shuffled)
    trained_codes = set(shuffled[: round(len(codes) * TRAINED_FRACTION)])
    facts = []
    for code in codes:
        country = countries[code]
        values = relation_values(country, continents, currencies, languages)
        for relation, template, holdout_template in RELATIONS:
            value = values[relation]
            if not value:
                continue
            facts.append(
                {
                    "country": country["name"],
                    "code": code,
                    "relation": relation,
                    "prompt": template.format(country=country["name"]),
                    "holdoutPrompt": holdout_template.format(country=country["name"]),
                    "continuation": f"{value} .",
                    "trained": code in trained_codes,
                }
            )
    return facts, sorted(trained_codes)
