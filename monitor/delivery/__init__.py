"""Telling people: digests of the net change (``digest``), mail (``mail``), the units of
work shared by commands and the daemon (``jobs``), and the daemon itself (``daemon``)."""
