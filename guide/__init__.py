"""The life-event guide: questionnaire, results and the guidance JSON API. Wired into the app by app.py;
the loaded pack is read through ``core.pack.rulebook()``."""
