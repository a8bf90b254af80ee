"""storyline: news articles in, events and stories out.

>>> from storyline import Corpus
>>> corpus = Corpus(":memory:")          # doctest: +SKIP
>>> corpus.add_paths(["articles/"])       # doctest: +SKIP
>>> [e.title for e in corpus.events()]    # doctest: +SKIP
"""

import logging

from storyline.api import Corpus
from storyline.config import Config, ConfigError
from storyline.model import Article, Entity, Event, Outlet, Quote, Story

__version__ = "0.1.0"
__all__ = ["Article", "Config", "Corpus", "ConfigError", "Entity", "Event", "Outlet", "Quote", "Story", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
