"""The options object validates once and layers user files over package defaults."""

from __future__ import annotations

import warnings

import pytest

from storyline.config import Config, ConfigError


def test_defaults_are_valid_and_fast_derives_implied_flags():
    assert Config().use_embeddings and Config().use_ner
    fast = Config(fast=True)
    assert not fast.use_embeddings and not fast.use_ner and not fast.extract_quotes


@pytest.mark.parametrize(
    "kwargs, message",
    [({"workers": 0}, "workers"), ({"event_threshold": 1.5}, "event_threshold"), ({"horizon_days": 0}, "horizon_days"),
     ({"minhash_perm": 4}, "minhash_perm")],
)
def test_invalid_values_are_rejected(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Config(**kwargs)


def test_fast_warns_about_options_it_overrides():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Config(fast=True, use_ner=False)
    assert any("already disables" in str(w.message) for w in caught)


def test_a_changed_copy_of_a_fast_config_does_not_warn_and_can_turn_fast_off():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lowered = Config(fast=True).with_(event_threshold=0.2)
        full = Config(fast=True).with_(fast=False)
    assert lowered.fast and not lowered.use_embeddings and lowered.event_threshold == 0.2
    assert full.use_embeddings and full.use_ner and full.extract_quotes


def test_user_file_overrides_only_what_it_sets(tmp_path):
    path = tmp_path / "storyline.toml"
    path.write_text("[storyline]\nevent_threshold = 0.42\n", encoding="utf-8")
    config = Config.load(path, workers=2)
    assert config.event_threshold == 0.42 and config.workers == 2
    assert config.story_threshold == Config().story_threshold


def test_unknown_options_are_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("treshold = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="treshold"):
        Config.load(path)
