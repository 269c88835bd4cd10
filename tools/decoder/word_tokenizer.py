"""The decoder's word-level tokenizer, written so that a TypeScript port can match it exactly.

Rules (the TypeScript port in @grace/models-decoder follows them line by line):
- whitespace (space, tab, line feed, carriage return, form feed, vertical tab, no-break space) separates;
- a word is a run of word characters: ASCII letters and the Latin letters U+00C0-U+024F except × (U+00D7)
  and ÷ (U+00F7); no Unicode tables are consulted, so Python and JavaScript cannot disagree;
- every other character (digits, punctuation, symbols, other scripts) is a token of its own;
- a token missing from the vocabulary becomes `<unk>`. Case is kept. No normalisation.
"""

WHITESPACE = frozenset(" \t\n\r\f\v\u00a0")
EOS = "<eos>"
UNK = "<unk>"


def is_word_character(character):
    code = ord(character)
    if (65 <= code <= 90) or (97 <= code <= 122):
        return True
    return 0xC0 <= code <= 0x24F and code not in (0xD7, 0xF7)


def split_words(text):
    """Splits text into token strings (before the vocabulary lookup)."""
    pieces = []
    word = []
    for character in text:
        if is_word_character(character):
            word.append(character)
            continue
        if word:
            pieces.append("".join(word))
            word = []
        if character not in WHITESPACE:
            pieces.append(character)
    if word:
        pieces.append("".join(word))
    return pieces


class WordTokenizer:
    def __init__(self, vocabulary):
        self.vocabulary = list(vocabulary)
        self.index = {token: position for position, token in enumerate(self.vocabulary)}
        self.eos = self.index[EOS]
        self.unk = self.index[UNK]

    def encode(self, text):
        return [self.index.get(piece, self.unk) for piece in split_words(text)]

    def decode(self, ids):
        return " ".join(self.vocabulary[token] for token in ids)
