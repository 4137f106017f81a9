"""Local actors (instance Application, hub Group, account Person) and cached remote actors."""
