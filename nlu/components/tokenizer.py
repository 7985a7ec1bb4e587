"""A tokenizer for all seven languages in one model.

Rasa's tokenizers each serve one language; Chinese has no spaces and needs word segmentation.
This one splits Han runs with jieba and everything else on word characters, and puts a folded
form (casefolded, accents stripped, Arabic letter variants unified) in each token's lemma, which
CountVectorsFeaturizer uses by default.
"""

from __future__ import annotations

import logging
from typing import Any

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from hubdata.text import fold, is_han

logger = logging.getLogger(__name__)

# A word: letters and digits with inner apostrophes or hyphens; or a single emoji / symbol.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+)*|\p{So}")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptAwareTokenizer(Tokenizer):
    """Tokenizes mixed-script text; segments Chinese with jieba."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Packages this component needs."""
        return ["jieba", "regex"]

    def __init__(self, config: dict[str, Any]) -> None:
        """Initialise jieba's dictionary once, quietly."""
        super().__init__(config)
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScriptAwareTokenizer:
        """Creates a new component."""
        return cls(config)

    def _split(self, text: str) -> list[tuple[str, int]]:
        pieces: list[tuple[str, int]] = []
        for match in _WORD.finditer(text):
            word, start = match.group(), match.start()
            if not any(is_han(c) for c in word):
                pieces.append((word, start))
                continue
            offset = start
            for segment in self._jieba.cut(word, HMM=True):
                if segment.strip():
                    pieces.append((segment, offset))
                offset += len(segment)
        return pieces

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Split the attribute's text into tokens with folded lemmas."""
        text = message.get(attribute) or ""
        tokens = [Token(word, start, lemma=fold(word)) for word, start in self._split(text)]
        if not tokens:
            tokens = [Token(text, 0, lemma=fold(text))] if text else []
        return self._apply_token_pattern(tokens)
