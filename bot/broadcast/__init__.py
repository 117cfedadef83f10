"""Safety advisories from staff to residents: validated, scheduled, fanned out
into the outbox from due rows, cancelled, expired, followed (bot.storage.broadcast)."""
