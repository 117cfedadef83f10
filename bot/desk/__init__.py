"""The moderators' desk: the report queue, its actions and their audit trail."""
