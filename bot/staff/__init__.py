"""Staff identities: who, among those writing in, is a configured [[staff]] member."""

from bot.staff.directory import StaffDirectory, StaffIdentity

__all__ = ["StaffDirectory", "StaffIdentity"]
