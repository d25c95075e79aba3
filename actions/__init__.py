"""Cadence custom actions, one module per feature. rasa_sdk loads every submodule."""
