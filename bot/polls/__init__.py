"""Polls: staff ask, residents answer (bot.flows.poll), results at a glance with
small groups never singled out (bot.polls.results)."""
