"""Instance-wide blocks and silences of remote actors and whole domains, by hand or from
other instances' block lists (fedihub/blocks.py enforces them)."""
