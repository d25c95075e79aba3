"""Cadence public API: sessions, chat gateway to Rasa, check-ins, insights, export, erase."""
