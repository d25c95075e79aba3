"""The user's own data from chat: export links and erase (after confirmation).

Erasing is carried out by the API gateway when it sees the `erase` instruction in the
bot's reply: by then Rasa has saved this turn, so the gateway can delete every event of
the conversation — an erase run from inside the action would be followed by Rasa writing
this very turn back into the tracker store.
"""

from __future__ import annotations

from rasa_sdk import Action

EXPORTS = [
    {"format": "csv", "title": "All my check-ins (CSV)", "url": "/api/v1/me/export?format=csv"},
    {
        "format": "pdf",
        "title": "Summary for my doctor (PDF)",
        "url": "/api/v1/me/export?format=pdf",
    },
    {"format": "json", "title": "Everything stored about me (JSON)",
     "url": "/api/v1/me/export?format=json"},
]


class ActionExportData(Action):
    def name(self) -> str:
        return "action_export_data"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text=(
                "Here's your data: a CSV of every check-in, a one-page PDF summary you "
                "can take to your doctor, and everything stored about you. The links only "
                "work for you."
            ),
            json_message={"type": "export", "links": EXPORTS},
        )
        return []


class ActionConfirmDelete(Action):
    def name(self) -> str:
        return "action_confirm_delete"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text=(
                "This permanently erases everything about you: check-ins, technique "
                "feedback, insights and this conversation. It can't be undone. Erase it all?"
            ),
            buttons=[
                {"title": "Yes, erase everything", "payload": "/affirm"},
                {"title": "No, keep my data", "payload": "/deny"},
            ],
        )
        return []


class ActionDeleteData(Action):
    def name(self) -> str:
        return "action_delete_data"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text="Done — everything about you has been erased. Take care of yourself.",
            json_message={"type": "erase"},
        )
        return []
