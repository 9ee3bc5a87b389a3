"""The interface's date formats per language (FORMAT_MODULE_PATH): templates name a format
(``|date:"DATE_FORMAT"``), never a pattern, so a date reads naturally in every language.
English keeps the registry's own day-month-year style."""
