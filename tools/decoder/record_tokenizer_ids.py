"""Records the Python tokenizer's ids, for the test that the TypeScript port matches it exactly.

    /work/venv/bin/python tools/decoder/record_tokenizer_ids.py packages/models-decoder

Writes `src/fixtures/tokenizer-ids.json`: ids in full for fixed strings (Unicode corners included), and a token
count with a SHA-256 digest of the comma-joined ids for every held-out speech and for every fact's prompt,
holdout prompt and continuation joined by newlines.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from word_tokenizer import WordTokenizer  # noqa: E402

TEXTS = [
    "The capital of Côte d'Ivoire is Yamoussoukro .",
    "Mr. Speaker, Mr. Vice President, Members of Congress: $1,200,000 (in 1865)!",
    "São Tomé and Príncipe; Curaçao; Åland; Réunion; Türkiye; Việt Nam; ʻOkina",
    "tabs\tand\nnew lines\r\nand no-break\u00a0spaces, × and ÷ signs",
    "emoji 🙂 and 漢字 and Ελληνικά and a zero-width\u200bjoiner",
    "",
    "   ",
    "<eos> <unk> xyzzyplugh",
]


def digest(ids):
    return hashlib.sha256(",".join(str(token) for token in ids).encode()).hexdigest()[:16]


def main():
    package = sys.argv[1] if len(sys.argv) > 1 else "packages/models-decoder"
    model = os.path.join(package, "model")
    with open(os.path.join(model, "vocabulary.json"), encoding="utf-8") as file:
        tokenizer = WordTokenizer(json.load(file))
    with open(os.path.join(model, "held-out-speeches.json"), encoding="utf-8") as file:
        speeches = json.load(file)
    with open(os.path.join(model, "facts.json"), encoding="utf-8") as file:
        facts = json.load(file)["facts"]
    fact_text = "\n".join(f"{fact['prompt']}\n{fact['holdoutPrompt']}\n{fact['continuation']}" for fact in facts)
    recorded = {
        "texts": [{"text": text, "ids": tokenizer.encode(text)} for text in TEXTS],
        "speeches": [
            {"year": speech["year"], "tokens": len(ids), "digest": digest(ids)}
            for speech in speeches
            for ids in [tokenizer.encode(speech["text"])]
        ],
        "facts": {"tokens": len(tokenizer.encode(fact_text)), "digest": digest(tokenizer.encode(fact_text))},
    }
    os.makedirs(os.path.join(package, "src", "fixtures"), exist_ok=True)
    with open(os.path.join(package, "src", "fixtures", "tokenizer-ids.json"), "w", encoding="utf-8") as file:
        json.dump(recorded, file, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
